/**
 * The `attic` backend: `attic push <server>:<cache> <paths…>` with the client
 * from the bootstrap, configured through a private `config.toml` that names a
 * token file. The token is never in argv, and the system this runs on keeps
 * the token variable out of the child's environment.
 *
 * @module
 */

import { ATTIC_SERVER_NAME } from "../attic/attic_config.ts";
import { stderrTail } from "../errors.ts";
import type { StorePath } from "../store/store_path.ts";
import type { CommandRunner } from "../system/system.ts";
import { type PushBackend, PushError } from "./push_backend.ts";

/** Options of {@linkcode AtticBackend}. */
export interface AtticBackendOptions {
  /** The attic client executable. */
  readonly client: string;
  /** The cache name on the server. */
  readonly cache: string;
  /** The server URL, for the log only (the config holds the endpoint). */
  readonly server: string;
  /** `XDG_CONFIG_HOME` holding `attic/config.toml`. */
  readonly configHome: string;
  /** `attic push --jobs`: uploads in parallel within one call. @default 5 */
  readonly jobs?: number;
  /** Kill a push call after this long. @default 300000 */
  readonly timeoutMs?: number;
}

/** {@linkcode PushBackend} on the attic CLI. */
export class AtticBackend implements PushBackend {
  readonly target: string;
  readonly #runner: CommandRunner;
  readonly #options: AtticBackendOptions;

  /** @param runner how to start `attic`; @param options client, cache, config */
  constructor(runner: CommandRunner, options: AtticBackendOptions) {
    this.#runner = runner;
    this.#options = options;
    this.target = `cache ${options.cache} on ${options.server}`;
  }

  /**
   * One `attic push` call. Exit 2 (usage) is not retried; 1 (an upload or the
   * planning failed), 101 (panic) and a timeout are.
   */
  async push(paths: readonly StorePath[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const o = this.#options;
    const result = await this.#runner.run(o.client, {
      args: ["push", "--jobs", String(o.jobs ?? 5), `${ATTIC_SERVER_NAME}:${o.cache}`, ...paths],
      env: { XDG_CONFIG_HOME: o.configHome },
      timeoutMs: o.timeoutMs ?? 300_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.code === 0) return;
    if (result.timedOut) {
      throw new PushError(`attic push was stopped after a timeout or abort`);
    }
    const detail = stderrTail(result.stderr);
    const what = result.code === 101
      ? "attic crashed (exit 101)"
      : `attic push exited with ${result.code}`;
    throw new PushError(`${what}: ${detail}`, result.code !== 2);
  }
}
