/**
 * The `attic` backend on the built-in client (`--attic-client api`): for a
 * batch, one `nix path-info --recursive` for the closure, the cache's
 * upstream-key filter, one get-missing-paths (for the paths the job did not
 * build itself, where its Nix pulls from this cache), then an upload per missing path,
 * `jobs` at a time, each after the uploads of its references (so the cache
 * never holds a path whose closure this push left incomplete).
 *
 * What the cache was found to hold, or was given, is remembered for the
 * session: later batches do not ask about it again. A token the server
 * refuses or a cache that does not exist stops every later push at once,
 * with one line in the log.
 *
 * @module
 */

import { AtticApiError } from "../attic/api_error.ts";
import type { AtticApi } from "../attic/attic_api.ts";
import { storePathHash, uploadInfo } from "../attic/upload_info.ts";
import type { PathInfo, PathInfoReader } from "../store/path_info.ts";
import type { StorePath } from "../store/store_path.ts";
import { StorePathSet } from "../store/store_path_set.ts";
import {
  BackendRefusedError,
  type PushBackend,
  PushError,
  type TransferStats,
} from "./push_backend.ts";

/** Options of {@linkcode AtticApiBackend}. */
export interface AtticApiBackendOptions {
  /** The cache name, for the log. */
  readonly cache: string;
  /** The server URL, for the log. */
  readonly server: string;
  /** Uploads running at once within one push call. @default 5 */
  readonly jobs?: number;
  /**
   * The job's Nix substitutes from this cache, so a derivation output it
   * built itself (Nix's `ultimate`, with a deriver) was not in the cache when
   * Nix asked before building it: it is uploaded without asking the cache
   * again (a batch of such paths makes no get-missing-paths request). Were
   * it there after all (another job pushed it meanwhile), the upload
   * replaces it with the same contents. Paths added to the store (a flake's
   * source, `nix-store --add`) were never asked about: they are.
   * @default false: every path is asked about
   */
  readonly builtHereIsMissing?: boolean;
  /** Called once, when the server refuses every push (a bad token, no such cache). */
  readonly onRefused?: (error: AtticApiError) => void;
}

/** {@linkcode PushBackend} on the built-in Attic client. */
export class AtticApiBackend implements PushBackend {
  readonly target: string;
  readonly #api: AtticApi;
  readonly #infos: PathInfoReader;
  readonly #options: AtticApiBackendOptions;
  /** Paths the cache has (uploaded, found there, or from upstream): never asked about again. */
  readonly #present = new StorePathSet();
  readonly #counts = { uploaded: 0, uploadedBytes: 0, alreadyCached: 0, fromUpstream: 0 };
  #refused: AtticApiError | null = null;

  /** @param api the client; @param infos how to read closures; @param options cache, jobs */
  constructor(api: AtticApi, infos: PathInfoReader, options: AtticApiBackendOptions) {
    this.#api = api;
    this.#infos = infos;
    this.#options = options;
    this.target = `cache ${options.cache} on ${options.server} (built-in client)`;
  }

  /** What the built-in client did so far. */
  get transfer(): TransferStats {
    return { ...this.#counts, requestRetries: this.#api.retries };
  }

  /** The next push asks the server even if it failed every retry a moment ago. */
  tryAfresh(): void {
    this.#api.forgetUnavailable();
  }

  /** Pushes `paths` and their closures; see the module documentation. */
  async push(paths: readonly StorePath[], options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#refused !== null) throw new BackendRefusedError(this.#refused.message);
    const { signal } = options;
    try {
      const config = await this.#api.cacheConfig(signal ? { signal } : {});
      const closure = await this.#infos.closure(paths, signal, (path) => this.#present.has(path));
      const candidates: PathInfo[] = [];
      for (const info of closure) {
        if (this.#present.has(info.path)) continue;
        if (info.signatures.some((sig) => config.upstreamKeyNames.includes(keyName(sig)))) {
          this.#present.add(info.path);
          this.#counts.fromUpstream++;
        } else {
          candidates.push(info);
        }
      }
      const uploads: PathInfo[] = [];
      const unknown: PathInfo[] = [];
      for (const info of candidates) {
        (this.#options.builtHereIsMissing && builtHere(info) ? uploads : unknown).push(info);
      }
      const missing = unknown.length === 0 ? new Set<string>() : await this.#api.missingPaths(
        unknown.map((info) => storePathHash(info.path)),
        signal,
      );
      for (const info of unknown) {
        if (missing.has(storePathHash(info.path))) {
          uploads.push(info);
        } else if (this.#present.add(info.path)) {
          this.#counts.alreadyCached++;
        }
      }
      await this.#upload(uploads, signal);
    } catch (error) {
      throw this.#pushError(error);
    }
  }

  /** Uploads `infos`, each after its references among them, `jobs` at a time. */
  async #upload(infos: readonly PathInfo[], signal?: AbortSignal): Promise<void> {
    const slots = new Semaphore(this.#options.jobs ?? 5);
    const tasks = new Map<StorePath, Promise<void>>();
    const byPath = new Map(infos.map((info) => [info.path, info]));
    const uploadOf = (info: PathInfo): Promise<void> => {
      let task = tasks.get(info.path);
      if (task === undefined) {
        task = (async () => {
          const references = info.references.filter((r) => r !== info.path && byPath.has(r));
          await Promise.all(references.map((r) => uploadOf(byPath.get(r)!)));
          await slots.run(async () => {
            signal?.throwIfAborted();
            await this.#api.uploadPath(uploadInfo(this.#options.cache, info), signal);
          });
          this.#present.add(info.path);
          this.#counts.uploaded++;
          this.#counts.uploadedBytes += info.narSize;
        })();
        tasks.set(info.path, task);
      }
      return task;
    };
    const results = await Promise.allSettled(infos.map(uploadOf));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** The push error for what went wrong; a refusal is remembered and logged once. */
  #pushError(error: unknown): Error {
    if (error instanceof AtticApiError) {
      if (error.refusesAll) {
        if (this.#refused === null) {
          this.#refused = error;
          this.#options.onRefused?.(error);
        }
        return new BackendRefusedError(error.message);
      }
      return new PushError(error.message, error.retryable);
    }
    if (error instanceof PushError) return error;
    if (error instanceof Error && error.name === "AbortError") return error;
    return new PushError(error instanceof Error ? error.message : String(error));
  }
}

/** The key name of a `keyname:base64` signature. */
function keyName(signature: string): string {
  const colon = signature.indexOf(":");
  return colon < 0 ? signature : signature.slice(0, colon);
}

/** At most `limit` tasks at once. */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** A derivation output this machine built (Nix asks its substituters before it builds one). */
function builtHere(info: PathInfo): boolean {
  return info.ultimate && info.deriver !== null;
}
