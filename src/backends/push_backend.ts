/**
 * Push: the seam between the engine and a binary cache.
 *
 * @module
 */

import type { StorePath } from "../store/store_path.ts";

/** The backends attic-ci ships. */
export type BackendName = "attic" | "nix-copy";

/** Uploads store paths (with their runtime closures) to one binary cache. */
export interface PushBackend {
  /** Where paths go, for people reading the log (never contains a secret). */
  readonly target: string;
  /**
   * Uploads `paths` and their closures. Resolves when all are in the cache;
   * rejects with {@linkcode PushError} otherwise.
   */
  push(paths: readonly StorePath[], options?: { signal?: AbortSignal }): Promise<void>;
}

/** A push that did not complete. */
export class PushError extends Error {
  /** False when retrying cannot help (e.g. a usage error): the batch is failed at once. */
  readonly retryable: boolean;

  /** @param message what failed, one line; @param retryable whether to retry */
  constructor(message: string, retryable = true, options?: ErrorOptions) {
    super(message, options);
    this.name = "PushError";
    this.retryable = retryable;
  }
}
