/**
 * The streaming engine: detect → verify → batch → push → record, while the
 * build runs, and the drain that ends it. One session per `exec`, `watch` or
 * detached watcher.
 *
 * @module
 */

import type { PushBackend } from "../backends/push_backend.ts";
import type { Logger } from "../log/logger.ts";
import type { Ledger } from "../state/ledger.ts";
import type { PathFilter } from "../store/path_filter.ts";
import { listStoreNames, newNames } from "../store/store_listing.ts";
import { type StorePath, storePath } from "../store/store_path.ts";
import type { ValidityChecker } from "../store/validity_checker.ts";
import { BatchQueue, type BatchQueueOptions } from "./batch_queue.ts";
import { type Clock, delay, systemClock } from "./clock.ts";
import type { PathTimeline } from "./path_timeline.ts";
import { type PushCall, PushScheduler, type PushSchedulerOptions } from "./push_scheduler.ts";
import type { StoreEvent, StoreWatcher } from "./store_watcher.ts";

/** The parts a session is made of. */
export interface StreamingSessionParts {
  readonly watcher: StoreWatcher;
  readonly checker: ValidityChecker;
  /** Where to push; null in deferred mode (no attic client yet): paths are only recorded. */
  readonly backend: PushBackend | null;
  readonly ledger: Ledger;
  readonly timeline: PathTimeline;
  readonly logger: Logger;
}

/** Options of {@linkcode StreamingSession}. */
export interface StreamingSessionOptions {
  readonly storeDir: string;
  /** Store entry names present at start (the rescan diffs against it). */
  readonly baseline: ReadonlySet<string>;
  readonly filter: PathFilter;
  readonly batch?: Omit<BatchQueueOptions, "clock">;
  readonly push?: Pick<PushSchedulerOptions, "concurrency" | "retries" | "retryDelayMs">;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Called when the counters change (throttling is the caller's business). */
  readonly onChange?: (session: StreamingSession) => void;
}

/** Options of {@linkcode StreamingSession.drain}. */
export interface DrainOptions {
  /** Give up on in-flight and queued pushes after this long. @default 600000 */
  readonly timeoutMs?: number;
  /** Interval of `draining: …` progress lines. @default 2000 */
  readonly progressIntervalMs?: number;
  /** Time for the watcher to deliver the last events before it is closed. @default 100 */
  readonly settleMs?: number;
}

/** Counters of a session, for status and report. */
export interface SessionCounters {
  /** Distinct candidate paths seen by the watcher or a rescan. */
  detected: number;
  /** Paths pushed while streaming. */
  pushed: number;
  /** Valid paths recorded but not pushed (deferred mode). */
  deferred: number;
  /** Paths skipped: `.drv` files. */
  derivations: number;
  /** Paths skipped by `--exclude`. */
  excluded: number;
  /** Rescans performed after a lost event or watcher error. */
  rescans: number;
  /** Seconds the drain took (0 until drained). */
  drainSeconds: number;
}

/** Streams finished store paths to a backend while a build runs. */
export class StreamingSession {
  readonly #parts: StreamingSessionParts;
  readonly #options: StreamingSessionOptions;
  readonly #clock: Clock;
  readonly #seen = new Set<string>();
  readonly #invalid = new Set<StorePath>();
  readonly #failed = new Map<StorePath, string>();
  readonly #calls: PushCall[] = [];
  readonly #toVerify = new Set<StorePath>();
  readonly #queue: BatchQueue<StorePath>;
  readonly #scheduler: PushScheduler | null;
  #verifying: Promise<void> | null = null;
  #recording: Promise<void> = Promise.resolve();
  #consuming: Promise<void>;
  #state: "watching" | "draining" | "drained" = "watching";
  /** Counters for status and report. */
  readonly counters: SessionCounters = {
    detected: 0,
    pushed: 0,
    deferred: 0,
    derivations: 0,
    excluded: 0,
    rescans: 0,
    drainSeconds: 0,
  };

  /** Starts consuming the watcher's events at once. */
  constructor(parts: StreamingSessionParts, options: StreamingSessionOptions) {
    this.#parts = parts;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#scheduler = parts.backend === null ? null : new PushScheduler(parts.backend, {
      ...options.push,
      ...(options.batch?.maxSize ? { maxBatchSize: options.batch.maxSize } : {}),
      clock: this.#clock,
      onPushed: (paths) => this.#onPushed(paths),
      onCall: (call) => this.#calls.push(call),
      onFailed: (path, error) => {
        this.#failed.set(path, error.message);
        this.#changed();
      },
      onRetry: (paths, attempt, error) =>
        parts.logger.warn(
          `push of ${paths.length} path(s) failed (${error.message}); retry ${attempt}`,
        ),
    });
    this.#queue = new BatchQueue((batch) => this.#onBatch(batch), {
      ...options.batch,
      clock: this.#clock,
    });
    this.#consuming = this.#consume();
  }

  /** `watching`, `draining` or `drained`. */
  get state(): string {
    return this.#state;
  }

  /** Paths in push calls now. */
  get pushing(): number {
    return this.#scheduler?.pushing ?? 0;
  }

  /** Paths waiting: being verified, in the batch queue, or queued for a push slot. */
  get queued(): number {
    return this.#toVerify.size + this.#queue.size + (this.#scheduler?.queued ?? 0);
  }

  /** Paths the streaming gave up on, with the last error (the final push retries them). */
  get failed(): ReadonlyMap<StorePath, string> {
    return this.#failed;
  }

  /** Invalid paths met (failed builds' leftovers, paths still being built). */
  get invalid(): ReadonlySet<StorePath> {
    return this.#invalid;
  }

  /** Every push call made so far, in order of completion. */
  get pushCalls(): readonly PushCall[] {
    return this.#calls;
  }

  /** Push calls and retries made so far. */
  get pushStats(): { invocations: number; retries: number } {
    return this.#scheduler?.stats ?? { invocations: 0, retries: 0 };
  }

  /**
   * Stops watching and waits for everything detected to be pushed, up to the
   * deadline, printing progress. Never hangs past `timeoutMs`.
   */
  async drain(options: DrainOptions = {}): Promise<void> {
    if (this.#state !== "watching") return;
    const started = this.#clock.now();
    this.#state = "draining";
    this.#changed();
    await delay(options.settleMs ?? 100, undefined, this.#clock);
    this.#parts.watcher.close();
    await this.#consuming;
    while (this.#verifying) await this.#verifying;
    this.#queue.flush();

    const timeoutMs = options.timeoutMs ?? 600_000;
    const deadline = new AbortController();
    const timer = this.#clock.setTimeout(
      () => deadline.abort(new Error(`drain deadline of ${timeoutMs / 1000} s passed`)),
      timeoutMs,
    );
    const progress = setInterval(() => {
      this.#parts.logger.info(`draining: ${this.pushing} pushing, ${this.queued} queued`);
    }, options.progressIntervalMs ?? 2_000);
    try {
      if (this.pushing + this.queued > 0) {
        this.#parts.logger.info(`draining: ${this.pushing} pushing, ${this.queued} queued`);
      }
      await this.#scheduler?.drain(deadline.signal);
      if (deadline.signal.aborted) {
        this.#parts.logger.warn(
          `drain stopped after ${
            timeoutMs / 1000
          } s; what was not pushed is left to the final push`,
        );
      }
    } finally {
      clearInterval(progress);
      this.#clock.clearTimeout(timer);
      await this.#recording;
      this.counters.drainSeconds = (this.#clock.now() - started) / 1000;
      this.#state = "drained";
      this.#changed();
    }
  }

  async #consume(): Promise<void> {
    try {
      for await (const event of this.#parts.watcher) await this.#onEvent(event);
    } catch (error) {
      this.#parts.logger.warn(
        `store watcher stopped: ${error instanceof Error ? error.message : error}; ` +
          "the final push will reconcile what it missed",
      );
    }
  }

  async #onEvent(event: StoreEvent): Promise<void> {
    if (event.kind === "finished") return this.#candidate(event.name, event.at);
    this.counters.rescans++;
    this.#parts.logger.warn(`${event.reason}; rescanning the store for missed paths`);
    try {
      const now = await listStoreNames(this.#options.storeDir);
      for (const name of newNames(now, this.#options.baseline, this.#seen)) {
        this.#candidate(name, event.at);
      }
    } catch (error) {
      this.#parts.logger.warn(
        `rescan failed: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  #candidate(name: string, at: number): void {
    if (this.#seen.has(name)) return;
    this.#seen.add(name);
    const path = storePath(this.#options.storeDir, name);
    const reason = this.#options.filter.reason(path);
    if (reason === "derivation") return void this.counters.derivations++;
    if (reason === "excluded") return void this.counters.excluded++;
    this.counters.detected++;
    this.#parts.timeline.detected(path, at, "incremental");
    this.#toVerify.add(path);
    this.#verifying ??= this.#verify();
  }

  /** Checks everything waiting in one call; what arrives meanwhile goes in the next. */
  async #verify(): Promise<void> {
    while (this.#toVerify.size > 0) {
      const paths = [...this.#toVerify];
      this.#toVerify.clear();
      try {
        const { valid, invalid } = await this.#parts.checker.check(paths);
        const now = this.#clock.now();
        for (const path of valid) {
          this.#parts.timeline.queued(path, now);
          this.#queue.add(path);
        }
        // An invalid path may still be finished later (a lock seen mid-build by a
        // rescan): forget it so a later event, rescan or the reconcile can take it.
        for (const path of invalid) {
          this.#invalid.add(path);
          this.#seen.delete(path.slice(path.lastIndexOf("/") + 1));
        }
      } catch (error) {
        this.#parts.logger.warn(
          `validity check failed (${error instanceof Error ? error.message : error}); ` +
            `${paths.length} path(s) left to the final push`,
        );
      }
      this.#changed();
    }
    this.#verifying = null;
  }

  #onBatch(batch: StorePath[]): void {
    if (this.#scheduler === null) {
      this.counters.deferred += batch.length;
      this.#changed();
      return;
    }
    this.#scheduler.submit(batch);
  }

  #onPushed(paths: readonly StorePath[]): void {
    const now = this.#clock.now();
    for (const path of paths) {
      this.#parts.timeline.pushed(path, now, "incremental");
      this.#failed.delete(path);
    }
    const fresh = paths.filter((p) => !this.#parts.ledger.has(p));
    this.counters.pushed += fresh.length;
    this.#recording = this.#recording.then(() => this.#parts.ledger.record(paths)).catch((
      error,
    ) => this.#parts.logger.warn(`cannot record pushed paths: ${error.message}`));
    this.#changed();
  }

  #changed(): void {
    this.#options.onChange?.(this);
  }
}
