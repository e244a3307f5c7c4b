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
  /** What was transferred, where the backend knows it (the built-in Attic client). */
  readonly transfer?: TransferStats;
  /**
   * Forgets earlier failures that make the backend fail pushes at once for a
   * while (the built-in client's pause after a server failed every retry):
   * the final push, the last chance, tries the cache afresh.
   */
  tryAfresh?(): void;
}

/** What a backend that talks to the cache itself counted. */
export interface TransferStats {
  /** Paths uploaded. */
  readonly uploaded: number;
  /** Their NAR bytes. */
  readonly uploadedBytes: number;
  /** Paths the cache already had: not uploaded again. */
  readonly alreadyCached: number;
  /** Paths signed by the cache's upstream (e.g. cache.nixos.org): not pushed. */
  readonly fromUpstream: number;
  /** HTTP requests retried (connection errors, stalls, 5xx, 429). */
  readonly requestRetries: number;
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

/**
 * The cache refuses every push (a token it does not accept, a cache that does
 * not exist): retrying or splitting cannot help any path, so the batch is
 * given up at once.
 */
export class BackendRefusedError extends PushError {
  /** @param message what the cache refused and how to fix it, one line */
  constructor(message: string) {
    super(message, false);
    this.name = "BackendRefusedError";
  }
}
