/**
 * The streaming engine, wired: detect → verify → batch → push → record, while
 * the build runs, and the drain that ends it. One session per `exec`,
 * `build`, `watch` or detached watcher. Each stage is its own module; this
 * one only connects them, keeps the counters and drains.
 *
 * @module
 */

import type { PushBackend } from "../backends/push_backend.ts";
import type { Logger } from "../log/logger.ts";
import type { Ledger } from "../state/ledger.ts";
import type { OwnedPaths } from "../state/owned_paths.ts";
import type { PathFilter } from "../store/path_filter.ts";
import type { StoreBaseline } from "../store/store_baseline.ts";
import type { StorePath } from "../store/store_path.ts";
import type { ValidityChecker } from "../store/validity_checker.ts";
import { type Clock, delay } from "../system/clock.ts";
import type { StoreEvent, StoreWatcher } from "../system/system.ts";
import { allPaths, type Attribution } from "./attribution.ts";
import { BatchQueue, type BatchQueueOptions } from "./batch_queue.ts";
import { Detector } from "./detector.ts";
import type { PathTimeline } from "./path_timeline.ts";
import { type PushCall, PushScheduler, type PushSchedulerOptions } from "./push_scheduler.ts";
import { PushRecorder, recordWarning } from "./recorder.ts";
import { Verifier } from "./verifier.ts";

/** Push calls kept for the report (a `watch` may make millions). */
const CALLS_KEPT = 2_000;

/** The parts a session is made of. */
export interface StreamingSessionParts {
  readonly watcher: StoreWatcher;
  /** Which paths are this job's (others are left alone). @default every path */
  readonly attribution?: Attribution;
  /** Where this job's paths are recorded as they are attributed (for a final push elsewhere). */
  readonly owned?: OwnedPaths | null;
  readonly checker: ValidityChecker;
  /** Where to push; null in deferred mode (no attic client yet): paths are only recorded. */
  readonly backend: PushBackend | null;
  readonly ledger: Ledger;
  readonly timeline: PathTimeline;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** Options of {@linkcode StreamingSession}. */
export interface StreamingSessionOptions {
  readonly storeDir: string;
  /** Store entry names present at start (the rescan diffs against it), listed as the build starts. */
  readonly baseline: StoreBaseline;
  readonly filter: PathFilter;
  readonly batch?: Omit<BatchQueueOptions, "clock">;
  readonly push?: Pick<PushSchedulerOptions, "concurrency" | "retries" | "retryDelayMs">;
  /** Called when the counters change (throttling is the caller's business). */
  readonly onChange?: (session: StreamingSession) => void;
}

/** Options of {@linkcode StreamingSession.drain}. */
export interface DrainOptions {
  /** Give up on in-flight and queued pushes after this long. @default 600000 */
  readonly timeoutMs?: number;
  /** Interval of `draining: …` progress lines. @default 2000 */
  readonly progressIntervalMs?: number;
  /**
   * Time for the watcher to deliver the last events before it is closed (the
   * kernel queued them when the build ended; the final push's reconcile
   * catches any it still missed). @default 25
   */
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
  /** Paths another job built or fetched (their lock's holder, or outside the closure): left alone. */
  foreign: number;
  /** Paths whose job could not be told (no lock holder seen, no closure): not streamed. */
  unattributed: number;
  /** Rescans performed after a lost event or watcher error. */
  rescans: number;
  /** Seconds the drain took (0 until drained). */
  drainSeconds: number;
}

/** Streams finished store paths to a backend while a build runs. */
export class StreamingSession {
  readonly #parts: StreamingSessionParts;
  readonly #options: StreamingSessionOptions;
  readonly #invalid = new Set<StorePath>();
  readonly #calls: PushCall[] = [];
  #droppedCalls = 0;
  readonly #detector: Detector;
  readonly #attribution: Attribution;
  /** Attribution decisions not taken yet (the drain waits for them). */
  readonly #attributing = new Set<Promise<void>>();
  readonly #verifier: Verifier;
  readonly #queue: BatchQueue<StorePath>;
  readonly #scheduler: PushScheduler | null;
  readonly #recorder: PushRecorder;
  readonly #consuming: Promise<void>;
  /** Called once, at the first overflow. */
  readonly #behind: Array<() => void> = [];
  #state: "watching" | "draining" | "drained" = "watching";
  /** Counters for status and report. */
  readonly counters: SessionCounters = {
    detected: 0,
    pushed: 0,
    deferred: 0,
    derivations: 0,
    excluded: 0,
    foreign: 0,
    unattributed: 0,
    rescans: 0,
    drainSeconds: 0,
  };

  /** Starts consuming the watcher's events at once. */
  constructor(parts: StreamingSessionParts, options: StreamingSessionOptions) {
    this.#parts = parts;
    this.#options = options;
    const { logger, clock } = parts;
    this.#recorder = new PushRecorder({
      ledger: parts.ledger,
      timeline: parts.timeline,
      clock,
      onRecordError: (error) => logger.warn(recordWarning(error)),
    }, "incremental");
    this.#scheduler = parts.backend === null ? null : new PushScheduler(parts.backend, {
      ...options.push,
      ...(options.batch?.maxSize ? { maxBatchSize: options.batch.maxSize } : {}),
      clock,
      onPushed: (paths) => {
        this.counters.pushed += this.#recorder.pushed(paths);
        this.#changed();
      },
      onCall: (call) => this.#keepCall(call),
      onFailed: (path, error) => {
        this.#recorder.failed(path, error.message);
        this.#changed();
      },
      onRetry: (paths, attempt, error) =>
        logger.warn(`push of ${paths.length} path(s) failed (${error.message}); retry ${attempt}`),
    });
    this.#queue = new BatchQueue((batch) => this.#onBatch(batch), { ...options.batch, clock });
    this.#verifier = new Verifier(parts.checker, {
      valid: (paths, at) => {
        for (const path of paths) {
          parts.timeline.queued(path, at);
          this.#queue.add(path);
        }
        this.#changed();
      },
      invalid: (paths) => {
        // An invalid path may still be finished later (a lock seen mid-build by a
        // rescan): forget it so a later event, rescan or the reconcile can take it.
        for (const path of paths) {
          this.#invalid.add(path);
          this.#detector.forget(path);
        }
        this.#changed();
      },
      error: (error, paths) =>
        logger.warn(
          `validity check failed (${error.message}); ${paths.length} path(s) left to the final push`,
        ),
    }, clock);
    this.#attribution = parts.attribution ?? allPaths();
    this.#detector = new Detector(options, {
      candidate: (path, at) => this.#attribute(path, at),
      skipped: (reason) => {
        if (reason === "derivation") this.counters.derivations++;
        else this.counters.excluded++;
      },
      rescan: (reason) => {
        this.counters.rescans++;
        logger.warn(`${reason}; rescanning the store for missed paths`);
        for (const listener of this.#behind.splice(0)) listener();
      },
      rescanFailed: (error) => logger.warn(`rescan failed: ${error.message}`),
    });
    this.#consuming = this.#detector.consume(
      observed(parts.watcher, this.#attribution, options.baseline),
    ).catch((
      error,
    ) =>
      logger.warn(
        `store watcher stopped: ${error instanceof Error ? error.message : error}; ` +
          "the final push will reconcile what it missed",
      )
    );
  }

  /** How this session tells its paths from other jobs'. */
  get attributionMode(): string {
    return this.#attribution.mode;
  }

  /** How long listing the store for the baseline took; null until it ended. */
  get baselineSeconds(): number | null {
    return this.#options.baseline.seconds;
  }

  /**
   * Calls `listener` once, the first time the session falls behind the
   * build (the watch's queue overflowed): a helper that gave the build its
   * CPU takes its own priority back.
   */
  whenBehind(listener: () => void): void {
    this.#behind.push(listener);
  }

  /**
   * How many times names left the baseline after it was listed (late
   * events, lost events): a reconcile listed before a change lists again.
   */
  get baselineChanges(): number {
    return this.#options.baseline.changes;
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
    return this.#attributing.size + this.#verifier.pending + this.#queue.size +
      (this.#scheduler?.queued ?? 0);
  }

  /** Paths the streaming gave up on, with the last error (the final push retries them). */
  get failed(): ReadonlyMap<StorePath, string> {
    return this.#recorder.failures;
  }

  /** Invalid paths met (failed builds' leftovers, paths still being built). */
  get invalid(): ReadonlySet<StorePath> {
    return this.#invalid;
  }

  /** Pushed paths the ledger could not record (a full disk). */
  get unrecorded(): number {
    return this.#recorder.unrecorded;
  }

  /** The most recent push calls (up to 2,000), in order of completion. */
  get pushCalls(): readonly PushCall[] {
    return this.#calls;
  }

  /** Older push calls dropped from {@linkcode pushCalls} to bound memory (still counted). */
  get droppedCalls(): number {
    return this.#droppedCalls;
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
    const { clock, logger } = this.#parts;
    const started = clock.now();
    this.#state = "draining";
    this.#changed();
    await delay(options.settleMs ?? 25, undefined, clock);
    this.#parts.watcher.close();
    await this.#consuming;
    await Promise.all(this.#attributing);
    this.#attribution.close();
    await this.#verifier.settled();
    this.#queue.flush();

    const timeoutMs = options.timeoutMs ?? 600_000;
    const deadline = new AbortController();
    const timer = clock.setTimeout(
      () => deadline.abort(new Error(`drain deadline of ${timeoutMs / 1000} s passed`)),
      timeoutMs,
    );
    const progressMs = options.progressIntervalMs ?? 2_000;
    const progress = () => logger.info(`draining: ${this.pushing} pushing, ${this.queued} queued`);
    let progressTimer = clock.setTimeout(function tick() {
      progress();
      progressTimer = clock.setTimeout(tick, progressMs);
    }, progressMs);
    try {
      if (this.pushing + this.queued > 0) progress();
      await this.#scheduler?.drain(deadline.signal);
      if (deadline.signal.aborted) {
        logger.warn(
          `drain stopped after ${
            timeoutMs / 1000
          } s; what was not pushed is left to the final push`,
        );
      }
    } finally {
      clock.clearTimeout(progressTimer);
      clock.clearTimeout(timer);
      await this.#recorder.settled();
      // A `stop` or `push` in another process reconciles against the baseline's file.
      await this.#parts.ledger.baselineWritten().catch((error) =>
        logger.warn(`the start's baseline is not recorded: ${error.message}`)
      );
      this.counters.drainSeconds = (clock.now() - started) / 1000;
      this.#state = "drained";
      this.#changed();
    }
  }

  /** The attribute stage: this job's paths go on to be verified, others are counted. */
  #attribute(path: StorePath, at: number): void {
    const { timeline, owned } = this.#parts;
    const decided = this.#attribution.decide(path).then((ownership) => {
      if (ownership === "ours") {
        this.counters.detected++;
        timeline.detected(path, at, "incremental");
        // A disk that refuses is said by the ledger's record; the path stays this job's in memory.
        owned?.add([path]).catch(() => {});
        this.#verifier.add(path);
      } else if (ownership === "theirs") this.counters.foreign++;
      else this.counters.unattributed++;
      this.#changed();
    }).finally(() => this.#attributing.delete(decided));
    this.#attributing.add(decided);
  }

  #onBatch(batch: StorePath[]): void {
    if (this.#scheduler === null) {
      this.counters.deferred += batch.length;
      this.#changed();
      return;
    }
    this.#scheduler.submit(batch);
  }

  /** Keeps a push call for the report; a long `watch` keeps only the most recent. */
  #keepCall(call: PushCall): void {
    this.#calls.push(call);
    if (this.#calls.length > CALLS_KEPT) {
      this.#calls.shift();
      this.#droppedCalls++;
    }
  }

  #changed(): void {
    this.#options.onChange?.(this);
  }
}

/**
 * The watcher's events, each shown to the baseline (what an event names was
 * not there before) and the attribution before the detector gets it.
 */
async function* observed(
  events: AsyncIterable<StoreEvent>,
  attribution: Attribution,
  baseline: StoreBaseline,
): AsyncIterable<StoreEvent> {
  for await (const event of events) {
    if (event.kind === "rescan") baseline.eventsLost();
    else baseline.mention(event.name);
    attribution.observe(event);
    yield event;
  }
}
