/**
 * The final push (belt and suspenders): after the streaming, push the
 * `result*` out-links in the working directory, any paths given on the
 * command line, and *reconcile* — every valid store path that appeared since
 * the baseline and is not recorded as pushed. It catches what the watcher
 * missed (overflow, a killed watcher, a failed push, deferred mode).
 *
 * @module
 */

import type { PushBackend } from "../backends/push_backend.ts";
import type { Logger } from "../log/logger.ts";
import type { Ledger } from "../state/ledger.ts";
import type { PathFilter } from "../store/path_filter.ts";
import { newNamesIn } from "../store/store_listing.ts";
import { resolveStorePath, type StorePath, storePath } from "../store/store_path.ts";
import type { ValidityChecker } from "../store/validity_checker.ts";
import type { Clock } from "../system/clock.ts";
import type { PathTimeline } from "./path_timeline.ts";
import { type PushCall, PushScheduler, type PushSchedulerOptions } from "./push_scheduler.ts";
import { PushRecorder, recordWarning } from "./recorder.ts";

/** What the final push needs. */
export interface FinalPushParts {
  /** Where to push; null when no backend is available (deferred mode without a client). */
  readonly backend: PushBackend | null;
  readonly checker: ValidityChecker;
  readonly ledger: Ledger;
  readonly timeline: PathTimeline;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** Options of {@linkcode finalPush}. */
export interface FinalPushOptions {
  readonly storeDir: string;
  readonly filter: PathFilter;
  /** Directory searched for `result*` out-links; null to skip them. */
  readonly outLinkDir: string | null;
  /** Store paths given on the command line (already resolved to top-level store paths). */
  readonly paths?: readonly StorePath[];
  /**
   * Which of the paths that appeared are this job's (the session's
   * attribution); the reconcile leaves the others alone. Out-links and given
   * paths are always the job's. @default every path
   */
  readonly owns?: (paths: readonly StorePath[]) => Promise<ReadonlySet<StorePath>>;
  /** Paths per push call. @default 100 */
  readonly batchSize?: number;
  readonly push?: Pick<PushSchedulerOptions, "concurrency" | "retries" | "retryDelayMs">;
  /** Give up on pushes after this long. @default 600000 */
  readonly timeoutMs?: number;
  /**
   * Pushing is off (no token), for this reason: the paths to push are
   * counted as `left`, not as failures. Only with a null backend.
   */
  readonly pushOff?: string;
  /**
   * What appeared since the baseline, listed already ({@linkcode listAppeared}
   * started when the build ended, while the drain ran). @default listed now
   */
  readonly appeared?: Promise<AppearedNames | null | undefined>;
}

/** The store entry names that appeared since a session's baseline, and how long listing took. */
export interface AppearedNames {
  readonly names: readonly string[];
  readonly seconds: number;
}

/**
 * Lists what appeared in the store since the session's baseline: null when
 * no session recorded one, undefined (after a warning) when the store could
 * not be listed. A live session starts it when the build ends: the listing of
 * a large store then runs while the drain pushes, not after it.
 */
export async function listAppeared(
  parts: Pick<FinalPushParts, "ledger" | "logger" | "clock">,
  storeDir: string,
): Promise<AppearedNames | null | undefined> {
  const { ledger, logger, clock } = parts;
  try {
    const baseline = await ledger.baseline();
    if (baseline === null) return null;
    const started = clock.now();
    const names = await newNamesIn(storeDir, baseline);
    return { names, seconds: (clock.now() - started) / 1000 };
  } catch (error) {
    logger.warn(
      `cannot list what appeared in the store (${
        error instanceof Error ? error.message : error
      }): nothing to reconcile`,
    );
    return undefined;
  }
}

/** What the final push did. */
export interface FinalPushResult {
  /** Store paths pushed by the final push. */
  pushed: number;
  /** Targets that came from `result*` out-links. */
  outLinks: number;
  /** Targets found by the reconcile. */
  reconciled: number;
  /** Targets given on the command line. */
  given: number;
  /** Invalid paths the reconcile skipped (failed builds' leftovers). */
  invalid: StorePath[];
  /** Paths skipped as `.drv` or `--exclude`d during the reconcile. */
  derivations: number;
  excluded: number;
  /** Paths that could not be pushed, with the last error. */
  failed: Map<StorePath, string>;
  invocations: number;
  retries: number;
  /** Every push call of the final push. */
  calls: PushCall[];
  /** Pushed paths the ledger could not record (a full disk). */
  unrecorded: number;
  /** How long listing the store and diffing it against the baseline took; null without a baseline. */
  reconcileSeconds: number | null;
  /**
   * Every valid path (not `.drv`, excluded ones too) that appeared since the
   * baseline, pushed or not: what the build built or fetched, for the report.
   */
  appeared: StorePath[];
  /** Paths to push left unpushed because pushing is off. */
  left: number;
  /** Valid paths that appeared but are not this job's (another job's, or not attributable). */
  notOurs: number;
}

/** Paths listed one per line (in the collapsed final-push section) before "… and N more". */
const DETAIL_LINES = 200;

/** A final push that found and pushed nothing (what a run starts from). */
export function emptyFinalPushResult(): FinalPushResult {
  return {
    pushed: 0,
    outLinks: 0,
    reconciled: 0,
    given: 0,
    invalid: [],
    derivations: 0,
    excluded: 0,
    failed: new Map(),
    invocations: 0,
    retries: 0,
    calls: [],
    unrecorded: 0,
    reconcileSeconds: null,
    appeared: [],
    left: 0,
    notOurs: 0,
  };
}

/** Runs the final push; see the module documentation. */
export async function finalPush(
  parts: FinalPushParts,
  options: FinalPushOptions,
): Promise<FinalPushResult> {
  const { ledger, logger, clock } = parts;
  const { toPush, result } = await finalPushTargets(parts, options);
  logger.info(
    `${toPush.length} path(s) to push: ${result.outLinks} from result* out-links, ` +
      `${result.reconciled} found by reconcile, ${result.given} given` +
      (result.reconcileSeconds === null
        ? ""
        : ` (the store listed and diffed in ${result.reconcileSeconds.toFixed(2)} s)`),
  );
  for (const path of toPush.slice(0, DETAIL_LINES)) logger.info(`  ${path}`);
  if (toPush.length > DETAIL_LINES) logger.info(`  … and ${toPush.length - DETAIL_LINES} more`);
  if (toPush.length === 0) return result;
  if (parts.backend === null) {
    if (options.pushOff !== undefined) {
      result.left = toPush.length;
      logger.info(`${toPush.length} path(s) not pushed (${options.pushOff})`);
      return result;
    }
    for (const path of toPush) result.failed.set(path, "no backend available to push with");
    return result;
  }
  parts.backend.tryAfresh?.();
  const now = clock.now();
  for (const path of toPush) parts.timeline.detected(path, now, "final");
  const size = options.batchSize ?? 100;
  const recorder = new PushRecorder({
    ledger,
    timeline: parts.timeline,
    clock,
    onRecordError: (error) => logger.warn(recordWarning(error)),
  }, "final");
  const scheduler = new PushScheduler(parts.backend, {
    ...options.push,
    maxBatchSize: size,
    clock,
    onPushed: (paths) => {
      recorder.pushed(paths);
      result.pushed += paths.length;
    },
    onFailed: (path, error) => recorder.failed(path, error.message),
    onCall: (call) => result.calls.push(call),
    onRetry: (paths, attempt, error) =>
      logger.warn(
        `final push of ${paths.length} path(s) failed (${error.message}); retry ${attempt}`,
      ),
  });
  for (let i = 0; i < toPush.length; i += size) scheduler.submit(toPush.slice(i, i + size));
  const deadline = new AbortController();
  const timeoutMs = options.timeoutMs ?? 600_000;
  const timer = clock.setTimeout(
    () => deadline.abort(new Error(`final push deadline of ${timeoutMs / 1000} s passed`)),
    timeoutMs,
  );
  try {
    await scheduler.drain(deadline.signal);
  } finally {
    clock.clearTimeout(timer);
  }
  await recorder.settled();
  result.failed = new Map(recorder.failures);
  result.unrecorded = recorder.unrecorded;
  result.invocations = scheduler.stats.invocations;
  result.retries = scheduler.stats.retries;
  logger.info(
    `pushed ${result.pushed} path(s) in ${result.invocations} call(s); ${result.failed.size} failed`,
  );
  return result;
}

/**
 * What the final push would push: the given paths, the `result*` out-links,
 * and the reconcile — every valid path that appeared since the baseline and
 * is not recorded as pushed — with the counts for the report, and nothing
 * pushed yet. The after_script's `push` after a session that ended with its
 * own final push asks this first, and needs no backend when nothing is left.
 */
export async function finalPushTargets(
  parts: Pick<FinalPushParts, "ledger" | "logger" | "checker" | "clock">,
  options: Pick<
    FinalPushOptions,
    "storeDir" | "filter" | "outLinkDir" | "paths" | "owns" | "appeared"
  >,
): Promise<{ toPush: StorePath[]; result: FinalPushResult }> {
  const { ledger, logger, checker } = parts;
  const result = emptyFinalPushResult();
  const targets = new Set<StorePath>(options.paths ?? []);
  result.given = targets.size;

  if (options.outLinkDir !== null) {
    for (const target of await outLinkTargets(options.storeDir, options.outLinkDir)) {
      if (ledger.has(target) || targets.has(target)) continue;
      targets.add(target);
      result.outLinks++;
    }
  }

  // Out-links and given paths that appeared since the baseline: they count among what appeared.
  const newTargets = new Set<StorePath>();
  const appeared = await (options.appeared ?? listAppeared(parts, options.storeDir));
  if (appeared === null) {
    logger.info("no recorded session in the state directory: nothing to reconcile");
  } else if (appeared !== undefined) {
    const candidates: StorePath[] = [];
    const excluded: StorePath[] = [];
    const notOurs: StorePath[] = [];
    for (const name of appeared.names) {
      const path = storePath(options.storeDir, name);
      const reason = options.filter.reason(path);
      if (reason === "derivation") result.derivations++;
      else if (reason === "excluded") {
        result.excluded++;
        excluded.push(path);
      } else if (ledger.has(path)) result.appeared.push(path);
      else if (targets.has(path)) newTargets.add(path);
      else candidates.push(path);
    }
    result.reconcileSeconds = appeared.seconds;
    if (options.owns !== undefined && candidates.length > 0) {
      // Another job's paths are left alone; only valid ones count (not a failed build's leftovers).
      const ours = await options.owns(candidates);
      notOurs.push(...candidates.filter((path) => !ours.has(path)));
      candidates.splice(0, candidates.length, ...candidates.filter((path) => ours.has(path)));
      const { valid, invalid } = await checker.check(notOurs);
      result.notOurs = valid.length;
      result.invalid.push(...invalid);
    }
    // Excluded paths are not pushed, but the build made them: they count among what appeared.
    const { valid, invalid } = await checker.check([...candidates, ...excluded]);
    const isExcluded = new Set(excluded);
    result.invalid.push(...invalid.filter((path) => !isExcluded.has(path)));
    for (const path of valid) {
      result.appeared.push(path);
      if (isExcluded.has(path)) continue;
      targets.add(path);
      result.reconciled++;
    }
  }

  // Paths given or linked must be valid too: pushing an invalid one fails the batch.
  const { valid: toPush, invalid } = await checker.check([...targets]);
  for (const path of invalid) {
    if (!result.invalid.includes(path)) result.invalid.push(path);
  }
  for (const path of toPush) if (newTargets.has(path)) result.appeared.push(path);
  return { toPush, result };
}

/** Store paths that `result*` symlinks in `dir` point to (their top-level paths). */
export async function outLinkTargets(storeDir: string, dir: string): Promise<StorePath[]> {
  const targets: StorePath[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isSymlink || !entry.name.startsWith("result")) continue;
      const target = await resolveStorePath(storeDir, `${dir}/${entry.name}`);
      if (target !== null) targets.push(target);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return targets.sort();
}
