/**
 * The `nix-copy` backend: `nix copy --to STORE_URL paths…` for any Nix store
 * URL (file://, s3://, ssh-ng://, http). Also the embedded default of the demo
 * and the real local cache of the tests.
 *
 * @module
 */

import { stderrTail } from "../errors.ts";
import { withoutSecretKey } from "../pull/pull_source.ts";
import type { StorePath } from "../store/store_path.ts";
import type { CommandRunner } from "../system/system.ts";
import { type PushBackend, PushError } from "./push_backend.ts";

/** Options of {@linkcode nixCopyBackend}. */
export interface NixCopyBackendOptions {
  /** The destination store URL, e.g. `file:///var/cache/nix`. */
  readonly to: string;
  /** Kill a push call after this long. @default 300000 */
  readonly timeoutMs?: number;
}

/** {@linkcode PushBackend} on `nix copy`: one call for the whole batch (closures included). */
export function nixCopyBackend(runner: CommandRunner, options: NixCopyBackendOptions): PushBackend {
  return {
    target: displayedStoreUrl(options.to),
    async push(paths: readonly StorePath[], push: { signal?: AbortSignal } = {}): Promise<void> {
      const result = await runner.run("nix", {
        args: [
          "--extra-experimental-features",
          "nix-command",
          "copy",
          "--to",
          options.to,
          ...paths,
        ],
        timeoutMs: options.timeoutMs ?? 300_000,
        ...(push.signal ? { signal: push.signal } : {}),
      });
      if (result.code !== 0) {
        throw new PushError(
          result.timedOut
            ? "nix copy was stopped"
            : `nix copy exited with ${result.code}: ${stderrTail(result.stderr)}`,
        );
      }
    },
  };
}

/**
 * Why this machine's Nix cannot open the store `to` at all (a scheme it does
 * not know, e.g. `s3://` in a Nix built without S3 support), or null. Nix
 * decides that before any I/O; a store it can open but not reach now (a
 * bucket or host that is down) is not refused: that is a transient failure,
 * left to the pushes. The check gives up after `timeoutMs` (a store being
 * reached is one Nix can open).
 */
export async function storeUrlProblem(
  runner: CommandRunner,
  to: string,
  timeoutMs = 1_500,
): Promise<string | null> {
  const result = await runner.run("nix", {
    args: ["--extra-experimental-features", "nix-command", "store", "ping", "--store", to],
    timeoutMs,
  }).catch(() => null);
  if (result === null) return null;
  const refused = /^error: don't know how to open Nix store/m.test(result.stderr);
  return refused ? `this Nix does not know how to open ${displayedStoreUrl(to)}` : null;
}

/**
 * A store URL for the log and the report: the path of a signing key
 * (`?secret-key=FILE`) is left out, and "signed" said instead.
 */
export function displayedStoreUrl(to: string): string {
  const shown = withoutSecretKey(to);
  return shown === to ? to : `${shown} (signed)`;
}
