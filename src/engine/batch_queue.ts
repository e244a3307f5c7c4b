/**
 * Batch: group store paths so one push call carries many of them, without
 * holding any path back for long.
 *
 * A batch is flushed when no path has arrived for `idleMs` (the burst is
 * over), when its oldest path has waited `maxWaitMs` (a steady trickle must
 * not wait forever), or when it holds `maxSize` paths (bounded argv and
 * retry cost). `attic watch-store` uses 2 s idle / 10 s max. Our defaults
 * (0.1 s / 2 s) are short on purpose: a path pushed while the build goes on
 * costs nothing, a path still queued when the build ends is waited for. The
 * batching that saves calls happens downstream, where batches waiting for a
 * busy cache are merged (`PushScheduler`).
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../system/clock.ts";

/** Options of {@linkcode BatchQueue}. */
export interface BatchQueueOptions {
  /** Flush after this long without a new path. @default 100 */
  readonly idleMs?: number;
  /** Flush once the oldest path has waited this long. @default 2000 */
  readonly maxWaitMs?: number;
  /** Flush at once when this many paths are waiting. @default 100 */
  readonly maxSize?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Collects items and hands them on in batches. */
export class BatchQueue<T> {
  readonly #onBatch: (batch: T[]) => void;
  readonly #idleMs: number;
  readonly #maxWaitMs: number;
  readonly #maxSize: number;
  readonly #clock: Clock;
  #pending: T[] = [];
  #idleTimer: TimerHandle | undefined;
  #maxWaitTimer: TimerHandle | undefined;

  /**
   * @param onBatch receives each batch, synchronously, in arrival order
   * @param options flush rules
   */
  constructor(onBatch: (batch: T[]) => void, options: BatchQueueOptions = {}) {
    this.#onBatch = onBatch;
    this.#idleMs = options.idleMs ?? 100;
    this.#maxWaitMs = options.maxWaitMs ?? 2_000;
    this.#maxSize = options.maxSize ?? 100;
    this.#clock = options.clock ?? systemClock;
    if (!(this.#maxSize >= 1)) {
      throw new RangeError(`maxSize must be at least 1: got ${this.#maxSize}`);
    }
  }

  /** How many items wait for the next flush. */
  get size(): number {
    return this.#pending.length;
  }

  /** Adds one item; may flush at once when the batch is full. */
  add(item: T): void {
    if (this.#pending.length === 0) {
      this.#maxWaitTimer = this.#clock.setTimeout(() => this.flush(), this.#maxWaitMs);
    }
    this.#pending.push(item);
    if (this.#pending.length >= this.#maxSize) return this.flush();
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = this.#clock.setTimeout(() => this.flush(), this.#idleMs);
  }

  /** Hands on everything waiting now (in batches of at most `maxSize`). */
  flush(): void {
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    if (this.#maxWaitTimer !== undefined) this.#clock.clearTimeout(this.#maxWaitTimer);
    this.#idleTimer = this.#maxWaitTimer = undefined;
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i += this.#maxSize) {
      this.#onBatch(pending.slice(i, i + this.#maxSize));
    }
  }
}
