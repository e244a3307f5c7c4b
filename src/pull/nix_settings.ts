/**
 * What the job's Nix is set up to do, asked of Nix itself: the settings that
 * decide whether it can substitute from our cache (`nix show-config --json`,
 * `nix config show --json` in newer Nix) and which store it talks to, with
 * the daemon's trust where Nix reports it (`nix store ping`, `nix store info`
 * in newer Nix: `Trusted: 0|1` since about 2.15).
 *
 * @module
 */

import { z } from "zod";
import type { CommandRunner } from "../system/system.ts";

/** The settings that matter for substituting from a cache. */
export interface NixSettings {
  /** The netrc file Nix reads credentials from (`netrc-file`), or null if unset. */
  readonly netrcFile: string | null;
  readonly substituters: readonly string[];
  readonly trustedSubstituters: readonly string[];
  readonly trustedPublicKeys: readonly string[];
  /** Users (and `@groups`) a daemon trusts with every setting. */
  readonly trustedUsers: readonly string[];
  /** Where `nix.conf` is read from (`NIX_CONF_DIR`, default `/etc/nix`). */
  readonly confDir: string;
}

/** Which store Nix talks to. */
export interface NixStoreInfo {
  /** `local`, `daemon`, `unix://…`, or another store URL. */
  readonly url: string;
  /** Whether the daemon trusts us, where Nix says it (newer Nix); null where it does not. */
  readonly trusted: boolean | null;
}

/** The new CLI, enabled for our own `nix` calls only (the image's setting stays as it is). */
export const NIX_COMMAND = ["--extra-experimental-features", "nix-command"] as const;

const Setting = <T extends z.ZodType>(value: T) => z.object({ value }).optional();
const ShowConfig = z.object({
  "netrc-file": Setting(z.string()),
  substituters: Setting(z.array(z.string())),
  "trusted-substituters": Setting(z.array(z.string())),
  "trusted-public-keys": Setting(z.array(z.string())),
  "trusted-users": Setting(z.array(z.string())),
});

/**
 * The job's effective Nix settings, or null when Nix cannot tell (an old or
 * broken Nix): the pull side then goes by defaults.
 */
export async function readNixSettings(
  runner: CommandRunner,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<NixSettings | null> {
  for (const command of [["show-config"], ["config", "show"]]) {
    const result = await runner.run("nix", {
      args: [...NIX_COMMAND, ...command, "--json"],
      ...(signal ? { signal } : {}),
    });
    if (result.code !== 0) continue;
    let parsed: z.infer<typeof ShowConfig>;
    try {
      parsed = ShowConfig.parse(JSON.parse(result.stdout));
    } catch {
      return null;
    }
    const netrc = parsed["netrc-file"]?.value ?? "";
    return {
      netrcFile: netrc.length > 0 ? netrc : null,
      substituters: parsed.substituters?.value ?? [],
      trustedSubstituters: parsed["trusted-substituters"]?.value ?? [],
      trustedPublicKeys: parsed["trusted-public-keys"]?.value ?? [],
      trustedUsers: parsed["trusted-users"]?.value ?? [],
      confDir: (env.NIX_CONF_DIR ?? "/etc/nix").replace(/\/+$/, "") || "/",
    };
  }
  return null;
}

/** The store Nix talks to, or null when Nix cannot tell. */
export async function readStoreInfo(
  runner: CommandRunner,
  signal?: AbortSignal,
): Promise<NixStoreInfo | null> {
  for (const command of ["ping", "info"]) {
    const result = await runner.run("nix", {
      args: [...NIX_COMMAND, "store", command],
      ...(signal ? { signal } : {}),
    });
    if (result.code !== 0) continue;
    // Nix 2.8 prints these on stderr, newer Nix on stdout.
    const text = `${result.stdout}\n${result.stderr}`;
    const url = /^Store URL: (\S+)/m.exec(text)?.[1];
    if (url === undefined) continue;
    const trusted = /^Trusted: (\d)/m.exec(text)?.[1];
    return { url, trusted: trusted === undefined ? null : trusted === "1" };
  }
  return null;
}

/** Whether the store is reached through a daemon (a multi-user install). */
export function isDaemonStore(info: NixStoreInfo): boolean {
  return info.url === "daemon" || info.url.startsWith("unix://");
}
