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

/** Options of {@linkcode NixCopyBackend}. */
export interface NixCopyBackendOptions {
  /** The destination store URL, e.g. `file:///var/cache/nix`. */
  readonly to: string;
  /** Kill a push call after this long. @default 300000 */
  readonly timeoutMs?: number;
}

/** {@linkcode PushBackend} on `nix copy`. */
export class NixCopyBackend implements PushBackend {
  readonly target: string;
  readonly #runner: CommandRunner;
  readonly #timeoutMs: number;

  /** @param runner how to start `nix`; @param options the destination */
  constructor(runner: CommandRunner, options: NixCopyBackendOptions) {
    this.#runner = runner;
    this.target = options.to;
    this.#timeoutMs = options.timeoutMs ?? 300_000;
  }

  /** One `nix copy` call for the whole batch (closures included). */
  async push(paths: readonly StorePath[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const result = await this.#runner.run("nix", {
      args: [
        "--extra-experimental-features",
        "nix-command",
        "copy",
        "--to",
        this.target,
        ...paths,
      ],
      timeoutMs: this.#timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.code !== 0) {
      throw new PushError(
        result.timedOut
          ? "nix copy was stopped"
          : `nix copy exited with ${result.code}: ${stderrTail(result.stderr)}`,
      );
    }
  }
}
