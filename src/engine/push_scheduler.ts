/**
 * Push with retries: runs batches through a {@linkcode PushBackend} with a
 * bounded number of concurrent push calls. Batches that wait for a free call
 * are merged, so the batch size adapts to how fast the cache takes them. A failed batch is retried with
 * capped exponential backoff; a batch that keeps failing is split in halves
 * (each tried once, recursively) so one bad path cannot block the rest.
 * Whatever still fails is reported, never retried forever: the final push's
 * reconcile gets another go at it.
 *
 * @module
 */

import { BackendRefusedError, type PushBackend, PushError } from "../backends/push_backend.ts";
import type { StorePath } from "../store/store_path.ts";
import { type Clock, delay, systemClock } from "../system/clock.ts";

/** Options of {@linkcode PushScheduler}. */
export interface PushSchedulerOptions {
  /** Push calls running at once. @default 2 */
  readonly concurrency?: number;
  /** Retries of a whole batch before it is split. @default 3 */
  readonly retries?: number;
  /** First backoff delay; doubled per retry. @default 1000 */
  readonly retryDelayMs?: number;
  /** Cap on one backoff delay. @default 30000 */
  readonly maxRetryDelayMs?: number;
  /**
   * Batches waiting for a push slot are merged up to this many paths when a
   * slot frees up, so a busy cache gets fewer, larger calls. @default 100
   */
  readonly maxBatchSize?: number;
  /** Called when paths are in the cache. */
  readonly onPushed?: (paths: readonly StorePath[]) => void;
  /** Called for each path given up on, with the last error. */
  readonly onFailed?: (path: StorePath, error: Error) => void;
  /** Called after every push call (each attempt and split half), for the report. */
  readonly onCall?: (call: PushCall) => void;
  /** Called before each retry, for the log. */
  readonly onRetry?: (paths: readonly StorePath[], attempt: number, error: Error) => void;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** One push call, as the report lists it. */
export interface PushCall {
  /** Epoch milliseconds when the call started. */
  readonly startedAt: number;
  readonly seconds: number;
  /** Paths given to the call (their closures may add more). */
  readonly paths: number;
  /** Why the call failed; null when it succeeded. */
  readonly error: string | null;
}

/** Counters kept by the scheduler. */
export interface PushStats {
  /** Push calls made (every attempt, every split half). */
  invocations: number;
  /** Retries of whole batches plus split attempts. */
  retries: number;
}

/** Queues batches and pushes them with bounded concurrency, retries and splitting. */
export class PushScheduler {
  readonly #backend: PushBackend;
  readonly #concurrency: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #maxBatchSize: number;
  readonly #options: PushSchedulerOptions;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  readonly #queue: StorePath[][] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #active = 0;
  #pushing = 0;
  /** Counters for the report. */
  readonly stats: PushStats = { invocations: 0, retries: 0 };

  /** @param backend where to push; @param options concurrency, retries, callbacks */
  constructor(backend: PushBackend, options: PushSchedulerOptions = {}) {
    this.#backend = backend;
    this.#concurrency = options.concurrency ?? 2;
    this.#retries = options.retries ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 1_000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#maxBatchSize = options.maxBatchSize ?? 100;
    this.#clock = options.clock ?? systemClock;
    this.#options = options;
  }

  /** Paths in push calls now. */
  get pushing(): number {
    return this.#pushing;
  }

  /** Paths waiting for a free push slot. */
  get queued(): number {
    return this.#queue.reduce((n, batch) => n + batch.length, 0);
  }

  /** Queues one batch. */
  submit(batch: readonly StorePath[]): void {
    if (batch.length === 0) return;
    if (this.#abort.signal.aborted) {
      for (const path of batch) this.#options.onFailed?.(path, abortError(this.#abort.signal));
      return;
    }
    this.#queue.push([...batch]);
    this.#pump();
  }

  /**
   * Resolves once every submitted batch is pushed or given up. When `signal`
   * aborts first, in-flight pushes are killed and queued batches are given up.
   */
  async drain(signal?: AbortSignal): Promise<void> {
    const idle = new Promise<void>((resolve) => {
      if (this.#active === 0 && this.#queue.length === 0) resolve();
      else this.#idleWaiters.push(resolve);
    });
    if (!signal) return await idle;
    const onAbort = () => this.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      await idle;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Kills in-flight pushes and gives up on everything queued. */
  abort(reason?: unknown): void {
    this.#abort.abort(reason ?? new Error("push aborted"));
    const dropped = this.#queue.splice(0);
    for (const batch of dropped) {
      for (const path of batch) this.#options.onFailed?.(path, abortError(this.#abort.signal));
    }
    this.#settle();
  }

  #pump(): void {
    while (this.#active < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.shift()!;
      // Backpressure: what queued up while every slot was busy goes out together.
      while (
        this.#queue.length > 0 && batch.length + this.#queue[0]!.length <= this.#maxBatchSize
      ) {
        batch.push(...this.#queue.shift()!);
      }
      this.#active++;
      this.#pushing += batch.length;
      this.#pushBatch(batch).finally(() => {
        this.#active--;
        this.#pushing -= batch.length;
        this.#pump();
        this.#settle();
      });
    }
  }

  #settle(): void {
    if (this.#active === 0 && this.#queue.length === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #pushBatch(batch: StorePath[]): Promise<void> {
    let lastError: Error = new Error("not attempted");
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        this.#options.onRetry?.(batch, attempt, lastError);
        const backoff = Math.min(this.#retryDelayMs * 2 ** (attempt - 1), this.#maxRetryDelayMs);
        try {
          await delay(backoff, this.#abort.signal, this.#clock);
        } catch {
          return this.#giveUp(batch, abortError(this.#abort.signal));
        }
      }
      const error = await this.#attempt(batch);
      if (error === null) return;
      lastError = error;
      if (this.#abort.signal.aborted) return this.#giveUp(batch, abortError(this.#abort.signal));
      if (error instanceof BackendRefusedError) return this.#giveUp(batch, error);
      if (error instanceof PushError && !error.retryable) break;
    }
    await this.#split(batch, lastError);
  }

  /** Halves a failing batch until the bad paths stand alone; each half is tried once. */
  async #split(batch: StorePath[], error: Error): Promise<void> {
    if (batch.length === 1 || this.#abort.signal.aborted) return this.#giveUp(batch, error);
    const middle = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      this.stats.retries++;
      const halfError = await this.#attempt(half);
      if (halfError instanceof BackendRefusedError) this.#giveUp(half, halfError);
      else if (halfError !== null) await this.#split(half, halfError);
    }
  }

  /** One push call; null on success. */
  async #attempt(batch: StorePath[]): Promise<Error | null> {
    this.stats.invocations++;
    const startedAt = this.#clock.now();
    let failure: Error | null = null;
    try {
      await this.#backend.push(batch, { signal: this.#abort.signal });
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    this.#options.onCall?.({
      startedAt,
      seconds: (this.#clock.now() - startedAt) / 1000,
      paths: batch.length,
      error: failure?.message ?? null,
    });
    if (failure === null) this.#options.onPushed?.(batch);
    return failure;
  }

  #giveUp(batch: StorePath[], error: Error): void {
    for (const path of batch) this.#options.onFailed?.(path, error);
  }
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason ?? "push aborted"));
}
