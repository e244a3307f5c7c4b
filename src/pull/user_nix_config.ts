/**
 * `attic-ci use --persist`: the pull settings written for good into the
 * user's own Nix configuration, as `attic use` and `cachix use` do on a
 * developer's machine: the substituter and its key in the user's `nix.conf`,
 * and for a private cache the token in a 0600 netrc that `nix.conf` names.
 * Idempotent: a line already there is not added again, and the cache host's
 * netrc entry is replaced rather than repeated.
 *
 * @module
 */

import { writePrivateFile } from "../state/state_dir.ts";
import { withNetrcEntry } from "./job_nix_config.ts";
import type { PullSource } from "./pull_source.ts";

/** What was written where. */
export interface PersistedPull {
  /** The user's `nix.conf`. */
  readonly confFile: string;
  /** The netrc holding the token, or null for a public cache. */
  readonly netrcFile: string | null;
  /** Lines added to `nix.conf` (none when it had them all). */
  readonly added: readonly string[];
}

/** The user's Nix configuration directory: `$XDG_CONFIG_HOME/nix`, else `~/.config/nix`. */
export function userNixDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_CONFIG_HOME ?? (env.HOME ? `${env.HOME}/.config` : null);
  if (base === null) throw new Error("neither XDG_CONFIG_HOME nor HOME is set");
  return `${base.replace(/\/+$/, "")}/nix`;
}

/**
 * Writes `source` into the user's configuration. `existingNetrc` is the
 * netrc the user's Nix reads now (its entries are kept when ours becomes
 * the one `nix.conf` names).
 */
export async function persistPullSource(
  source: PullSource,
  env: Readonly<Record<string, string | undefined>>,
  existingNetrc: { readonly file: string; readonly text: string } | null,
): Promise<PersistedPull> {
  const dir = userNixDir(env);
  await Deno.mkdir(dir, { recursive: true });
  const confFile = `${dir}/nix.conf`;
  const conf = await Deno.readTextFile(confFile).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  });
  const wanted = [
    `extra-substituters = ${source.substituter}`,
    `extra-trusted-public-keys = ${source.publicKey}`,
  ];
  let netrcFile: string | null = null;
  if (source.credentials !== null) {
    // A netrc-file the user set already is where the entry goes; else our own, named in nix.conf.
    netrcFile = settingIn(conf, "netrc-file") ?? `${dir}/netrc`;
    const current = await Deno.readTextFile(netrcFile).catch(() =>
      existingNetrc !== null && existingNetrc.file !== netrcFile ? existingNetrc.text : ""
    );
    await writePrivateFile(netrcFile, withNetrcEntry(current, source.credentials));
    if (settingIn(conf, "netrc-file") === null) wanted.push(`netrc-file = ${netrcFile}`);
  }
  const lines = new Set(conf.split("\n").map((line) => line.trim()));
  const added = wanted.filter((line) => !lines.has(line));
  if (added.length > 0) {
    const before = conf.length === 0 || conf.endsWith("\n") ? conf : `${conf}\n`;
    await Deno.writeTextFile(
      confFile,
      `${before}# attic-ci use: ${source.substituter}\n${added.join("\n")}\n`,
    );
  }
  return { confFile, netrcFile, added };
}

/** The value of `name = value` in a `nix.conf` text (the last one wins), or null. */
export function settingIn(conf: string, name: string): string | null {
  let value: string | null = null;
  for (const line of conf.split("\n")) {
    const match = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1] === name) value = match[2]!;
  }
  return value;
}
