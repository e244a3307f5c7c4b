/**
 * The `nix-copy` backend: `nix copy --to STORE_URL paths…` for any Nix store
 * URL (file://, s3://, ssh-ng://, http). Also the embedded default of the demo
 * and the real local cache of the tests.
 *
 * @module
 */

import { stderrTail } from "../errors.ts";
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
 * A store URL for the log and the report: the path of a signing key
 * (`?secret-key=FILE`) is left out, and "signed" said instead.
 */
export function displayedStoreUrl(to: string): string {
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    return to; // a path or `daemon`: nothing to hide
  }
  if (!url.searchParams.has("secret-key")) return to;
  url.searchParams.delete("secret-key");
  return `${url.toString().replace(/\?$/, "")} (signed)`;
}
