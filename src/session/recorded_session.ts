/**
 * Ending a session that ran in another process (`stop`, and `push` as the
 * after_script safety net): stop its watcher if one still runs, set up the
 * backend now, and take the one finish path with the watcher's account — or,
 * when the watcher died before writing one (a Docker executor ends every
 * process with the script), with what its ledger says.
 *
 * @module
 */

import { PathTimeline } from "../engine/path_timeline.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { emptySummary } from "../report/session_summary.ts";
import { Ledger } from "../state/ledger.ts";
import { ensurePrivateDir, type StateFiles, stateFiles } from "../state/state_dir.ts";
import { finalPushTargets } from "../engine/final_push.ts";
import { storeQueries } from "../store/store_queries.ts";
import { pathFilter } from "./open_session.ts";
import type { StorePath } from "../store/store_path.ts";
import { type BackendSetup, setUpBackend } from "./backend_setup.ts";
import { endJobState, forgetSecrets, inAfterScript } from "./job_cleanup.ts";
import { EndDeadline } from "./end_deadline.ts";
import { ownsOption, type ReconcileFilter, reconcileFilter } from "./attribution_setup.ts";
import { OwnedPaths } from "../state/owned_paths.ts";
import { NO_PULL } from "./pull_setup.ts";
import type { CommandContext } from "./context.ts";
import { backendOf, finishSession } from "./finish_session.ts";
import { readSessionRecord } from "./session_record.ts";
import { lockSessionOrRefuse } from "./session_lock.ts";
import { type StoppedWatcher, stopWatcher } from "./watcher_process.ts";

/** Options of {@linkcode endRecordedSession}. */
export interface EndRecordedSessionOptions {
  readonly command: "stop" | "push";
  /** How long to wait for a running watcher's drain. */
  readonly timeoutMs: number;
  /** Store paths given on the command line. */
  readonly paths: readonly StorePath[];
  /** Say nothing when no watcher runs (expected where the executor killed it). */
  readonly quietWithoutWatcher: boolean;
}

/** How it ended. */
export interface RecordedSessionResult {
  /** Everything that should be in the cache is. */
  readonly complete: boolean;
  /** A configuration error found after the watcher was stopped (it is in the log already). */
  readonly lateError: ConfigError | null;
}

/** Whether a final push would find nothing to push (asked without a backend). */
async function nothingLeft(
  ctx: CommandContext,
  config: EngineConfig,
  files: StateFiles,
  options: EndRecordedSessionOptions,
  owns: ReconcileFilter | undefined,
): Promise<boolean> {
  const { system } = ctx;
  const { toPush } = await finalPushTargets({
    ledger: await Ledger.open(files),
    logger: ctx.logger,
    checker: storeQueries(system, { storeDir: config.storeDir, env: system.env }).checker,
    clock: system.clock,
  }, {
    storeDir: config.storeDir,
    filter: pathFilter(config),
    outLinkDir: system.cwd,
    paths: options.paths,
    ...ownsOption(owns),
  });
  return toPush.length === 0;
}

/** Ends the recorded session; see the module documentation. */
export async function endRecordedSession(
  ctx: CommandContext,
  config: EngineConfig,
  options: EndRecordedSessionOptions,
): Promise<RecordedSessionResult> {
  const files = stateFiles(config.stateDir);
  try {
    await ensurePrivateDir(files.dir);
  } catch (error) {
    if (!(error instanceof EnvironmentError) || config.strict) throw error;
    ctx.logger.info(`error: ${error.message}`);
    ctx.logger.warn("nothing recorded there can be pushed (--strict fails)");
    return { complete: false, lateError: null };
  }
  const deadline = new EndDeadline(config.endBudget, ctx.system.clock);
  const fits = deadline.describe();
  if (fits !== null) ctx.logger.info(fits);
  // A watcher's drain gets most of what is left; the final push reconciles what it could not.
  const stopAskedAt = ctx.system.clock.now();
  const stopped = await stopWatcher(ctx, files, {
    timeoutMs: deadline.limited
      ? Math.min(options.timeoutMs, deadline.leftMs * WATCHER_SHARE)
      : options.timeoutMs,
    quiet: options.quietWithoutWatcher,
  });
  const ends: SessionEnds = {
    // `stop` ends the job's script (the build); `push` ends one only when it stopped a watcher.
    buildEndedAt: options.command === "stop" || stopped.wasRunning ? stopAskedAt : null,
    ...(stopped.wasRunning
      ? { drain: { startedAt: stopAskedAt, endedAt: ctx.system.clock.now() } }
      : {}),
  };
  // With the watcher gone, only a build still running here (an exec) could hold the directory.
  const lock = await lockSessionOrRefuse(ctx.system, files, options.command);
  let result: RecordedSessionResult = { complete: false, lateError: null };
  try {
    result = await finishRecorded(ctx, config, options, stopped, deadline, ends);
    return result;
  } finally {
    await lock.release();
    // The last step of a job's caching: no file holding the token outlives it, and after_script
    // (the job's last script) leaves no state behind unless a later push needs it.
    if (inAfterScript(ctx.system.env)) await endJobState(ctx, files, result);
    else await forgetSecrets(ctx, files);
  }
}

/** The part of the time left that a watcher's drain may take at the end (the rest: final push). */
const WATCHER_SHARE = 0.6;

/** When the job's build ended and its watcher drained, as this process saw it (the report's phases). */
interface SessionEnds {
  readonly buildEndedAt: number | null;
  readonly drain?: { readonly startedAt: number; readonly endedAt: number };
}

async function finishRecorded(
  ctx: CommandContext,
  config: EngineConfig,
  options: EndRecordedSessionOptions,
  stopped: StoppedWatcher,
  deadline: EndDeadline,
  ends: SessionEnds,
): Promise<RecordedSessionResult> {
  const files = stateFiles(config.stateDir);
  const record = await readSessionRecord(files.session);
  const ended = stopped.summary === null ? record?.ended : undefined;
  const owns = reconcileFilter(
    record?.attribution,
    await OwnedPaths.open(files),
    storeQueries(ctx.system, { storeDir: config.storeDir, env: ctx.system.env }).derivers,
  );
  if (ended !== undefined && await nothingLeft(ctx, config, files, options, owns)) {
    // The after_script's safety net after a build that ran its own final push: no attic
    // client to fetch, no token to read, when there is nothing to push.
    ctx.logger.info(
      `nothing left to push: the session already ended with its own final push at ${
        new Date(ended.at).toISOString()
      } (${ended.pushed} store paths pushed; its report is above)`,
    );
    return { complete: true, lateError: null };
  }
  // The watcher is stopped first, whatever happens next: it must never outlive the job.
  // A configuration error found now (e.g. the token variable is gone) still gets a report.
  let setup: BackendSetup = { backend: null, bootstrap: null, pull: NO_PULL };
  let lateError: ConfigError | null = null;
  try {
    setup = await setUpBackend(config, ctx, files, {
      quietWhenOff: true,
      bootstrapTimeoutMs: deadline.cap(config.bootstrapTimeoutMs),
    });
  } catch (error) {
    // Without a stopped watcher there is nothing to report: the one-line error is all.
    if (!(error instanceof ConfigError) || !stopped.wasRunning) throw error;
    lateError = error;
    ctx.logger.info(`error: ${error.message}`);
  }
  const ledger = await Ledger.open(files);
  if (stopped.summary === null && ended === undefined && record !== null) {
    // A watcher killed before its drain may not have named what the build made while the
    // baseline was listed (the build had started): its entries, changed since, tell.
    await ledger.distrustBaselineSince(config.storeDir, record.startedAt - 1_000).catch(
      (error) => ctx.logger.warn(`cannot check the baseline against the store: ${error.message}`),
    );
  }
  const summary = stopped.summary ?? {
    ...emptySummary(ctx.system.clock.now()),
    // A watcher killed before its drain wrote no summary; its ledger still says what it pushed,
    // and its session record how it told its paths.
    incremental: ledger.size,
    attribution: record?.attribution ?? "all",
  };
  const finished = await finishSession(ctx, {
    command: options.command,
    config,
    ledger,
    timeline: new PathTimeline(),
    streamed: {
      kind: "recorded",
      summary: { ...summary, bootstrap: summary.bootstrap ?? setup.bootstrap },
      ...(ends.drain ? { drain: ends.drain } : {}),
    },
    backend: backendOf(setup.backend),
    outLinkDir: ctx.system.cwd,
    paths: options.paths,
    exitCode: null,
    buildEndedAt: ends.buildEndedAt,
    cacheKeyName: record?.cacheKeyName ?? null,
    deadline,
    ...ownsOption(owns),
    ...(ended !== undefined && lateError === null ? { alreadyEnded: ended } : {}),
  });
  return { complete: finished.complete, lateError };
}
