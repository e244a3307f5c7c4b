/**
 * The end of every run, one path for `exec`, `build`, `watch`, `stop` and
 * `push`: drain a live session (or take a watcher's recorded account), get
 * the backend (a deferred bootstrap is tried again now), run the final push,
 * build the report and print it — or, for the after_script safety net after a
 * session that already ended with its own final push, say in one line that
 * nothing was left. What the exit code becomes is the dispatcher's business.
 *
 * @module
 */

import type { BootstrapResult } from "../attic/bootstrap.ts";
import type { PushBackend } from "../backends/push_backend.ts";
import {
  finalPush,
  type FinalPushOptions,
  type FinalPushResult,
  listAppeared,
} from "../engine/final_push.ts";
import type { PathTimeline } from "../engine/path_timeline.ts";
import type { StreamingSession } from "../engine/streaming_session.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import {
  buildReport,
  formatPushCalls,
  formatReport,
  type Report,
  type ReportStartup,
} from "../report/report.ts";
import { type SessionStart, type SessionSummary, summarize } from "../report/session_summary.ts";
import type { Ledger } from "../state/ledger.ts";
import type { StorePath } from "../store/store_path.ts";
import { storeQueries } from "../store/store_queries.ts";
import { countOrigins, type Substitution } from "../report/substitution.ts";
import type { CommandContext } from "./context.ts";
import type { EndDeadline } from "./end_deadline.ts";
import { pathFilter, pushOptions } from "./open_session.ts";
import { writeReportFiles } from "./report_files.ts";

/** What was streamed before the end. */
export type Streamed =
  /** A session of this process: it is drained here. */
  | {
    readonly kind: "live";
    readonly session: StreamingSession;
    readonly start: SessionStart;
    readonly bootstrap: BootstrapResult | null;
  }
  /** The account of a session that ran in another process (the detached watcher), or of none. */
  | {
    readonly kind: "recorded";
    readonly summary: SessionSummary;
    /** When its watcher was told to stop and when it was gone (its drain); absent without one. */
    readonly drain?: { readonly startedAt: number; readonly endedAt: number };
  };

/** What {@linkcode finishSession} needs. */
export interface FinishInputs {
  /** The command, for the report. */
  readonly command: string;
  readonly config: EngineConfig;
  readonly ledger: Ledger;
  readonly timeline: PathTimeline;
  readonly streamed: Streamed;
  /** The backend, asked for after the drain (a deferred bootstrap may succeed by then). */
  readonly backend: () => Promise<PushBackend | null>;
  /** Where `result*` out-links are looked for; null for none. */
  readonly outLinkDir: string | null;
  /** Store paths given on the command line. */
  readonly paths?: readonly StorePath[];
  /** `exec`/`build`: the build's status, for the report. */
  readonly exitCode: number | null;
  /** When the build ended (the report's `phases`); null or absent: no build in this run. */
  readonly buildEndedAt?: number | null;
  /** How the build was started (the report's `startup`); absent: no build in this run. */
  readonly startup?: ReportStartup;
  /**
   * The session already ended with its own final push at this time: when
   * nothing is left, one line instead of a second report.
   */
  readonly alreadyEnded?: { readonly at: number; readonly pushed: number };
  /** The name of the key the cache signs with (the report counts the paths it gave); null if unknown. */
  readonly cacheKeyName?: string | null;
  /** When the end must be done (after_script's budget, `--finish-within`). @default none */
  readonly deadline?: EndDeadline;
  /** Which paths that appeared the reconcile may take (this job's). @default every path */
  readonly owns?: (paths: readonly StorePath[]) => Promise<ReadonlySet<StorePath>>;
}

/** How a run ended, for the exit code. */
export interface Finished {
  /** The report, or null when the one line said nothing was left. */
  readonly report: Report | null;
  /** Everything that should be in the cache is. */
  readonly complete: boolean;
}

/** Ends a run; see the module documentation. */
export async function finishSession(ctx: CommandContext, inputs: FinishInputs): Promise<Finished> {
  const { system, logger } = ctx;
  const { config, timeline, streamed } = inputs;
  let summary: SessionSummary;
  let drain = streamed.kind === "recorded" ? streamed.drain ?? null : null;
  let appeared: FinalPushOptions["appeared"];
  if (streamed.kind === "live") {
    // The build is over: what it made is in the store. Listing a large store takes a second
    // and more, so the reconcile's listing runs while the drain pushes.
    const listParts = { ledger: inputs.ledger, logger, clock: system.clock };
    const changes = streamed.session.baselineChanges;
    appeared = listAppeared(listParts, config.storeDir);
    // The drain gets most of the time left; the final push reconciles what it could not push.
    const left = inputs.deadline?.leftMs ?? Infinity;
    const startedAt = system.clock.now();
    await streamed.session.drain({ timeoutMs: Math.min(config.drainTimeoutMs, left * 0.6) });
    // Names left the baseline meanwhile (events the drain saw late, lost ones): list again.
    if (streamed.session.baselineChanges !== changes) {
      appeared = listAppeared(listParts, config.storeDir);
    }
    drain = { startedAt, endedAt: system.clock.now() };
    summary = summarize(streamed.session, timeline, streamed.start, streamed.bootstrap);
  } else {
    summary = streamed.summary;
    for (const record of summary.paths) {
      timeline.detected(record.path, record.detectedAt, record.phase);
      if (record.queuedAt !== null) timeline.queued(record.path, record.queuedAt);
      if (record.pushedAt !== null) timeline.pushed(record.path, record.pushedAt, record.phase);
    }
  }
  const backend = await inputs.backend();
  const pushOff = summary.bootstrap?.mode === "off" ? summary.bootstrap.reason : undefined;
  const finalPushStartedAt = system.clock.now();
  const final = await runFinalPush(ctx, inputs, backend, pushOff, appeared);
  const finalPushEndedAt = system.clock.now();

  const ended = inputs.alreadyEnded;
  if (ended !== undefined && final.pushed + final.failed.size === 0) {
    logger.info(
      `nothing left to push: the session already ended with its own final push at ${
        new Date(ended.at).toISOString()
      } (${ended.pushed} store paths pushed; its report is above)`,
    );
    return { report: null, complete: true };
  }

  const report = buildReport({
    command: inputs.command,
    backend: config.backend,
    target: backend?.target ?? "none (no attic client)",
    summary,
    final,
    timeline,
    exitCode: inputs.exitCode,
    endedAt: system.clock.now(),
    resources: system.resources(),
    transfer: backend?.transfer ?? null,
    substitution: await substitution(ctx, inputs, final),
    phases: {
      buildEndedAt: inputs.buildEndedAt ?? null,
      drainStartedAt: drain?.startedAt ?? null,
      drainEndedAt: drain?.endedAt ?? null,
      finalPushStartedAt,
      finalPushEndedAt,
    },
    startup: inputs.startup ?? null,
  });
  await emitReport(ctx, report, config);
  return { report, complete: report.failed.length === 0 && report.unrecorded === 0 };
}

/**
 * Where the paths that appeared came from, as the store records it (built
 * here, or substituted and signed by whom); null without a baseline, or
 * when the store cannot say (one warning: the rest of the report stands).
 */
async function substitution(
  ctx: CommandContext,
  inputs: FinishInputs,
  final: FinalPushResult,
): Promise<Substitution | null> {
  if (final.reconcileSeconds === null) return null;
  const { config } = inputs;
  try {
    const { origins } = storeQueries(ctx.system, {
      storeDir: config.storeDir,
      env: ctx.system.env,
    });
    const found = await origins.origins(final.appeared);
    return countOrigins(found.values(), inputs.cacheKeyName ?? null);
  } catch (error) {
    ctx.logger.warn(
      `cannot tell what was substituted and what was built: ${
        error instanceof Error ? error.message : error
      }`,
    );
    return null;
  }
}

/** The final push with the configuration's settings, in its own log section. */
function runFinalPush(
  ctx: CommandContext,
  inputs: FinishInputs,
  backend: PushBackend | null,
  pushOff: string | undefined,
  appeared: FinalPushOptions["appeared"],
): Promise<FinalPushResult> {
  const { system, logger } = ctx;
  const { config } = inputs;
  logger.sectionStart("final_push", "final push: result* out-links and reconcile");
  return finalPush({
    backend,
    checker: storeQueries(system, { storeDir: config.storeDir, env: system.env }).checker,
    ledger: inputs.ledger,
    timeline: inputs.timeline,
    logger,
    clock: system.clock,
  }, {
    storeDir: config.storeDir,
    filter: pathFilter(config),
    outLinkDir: inputs.outLinkDir,
    ...(inputs.paths ? { paths: inputs.paths } : {}),
    ...(inputs.owns ? { owns: inputs.owns } : {}),
    batchSize: config.batchMaxSize,
    push: pushOptions(config),
    timeoutMs: inputs.deadline?.cap(config.drainTimeoutMs) ?? config.drainTimeoutMs,
    ...(pushOff === undefined ? {} : { pushOff }),
    ...(appeared === undefined ? {} : { appeared }),
  }).finally(() => logger.sectionEnd("final_push"));
}

/**
 * Prints the report (summary line first, outside any section) and writes the
 * files asked for (JSON, picture, metrics, dotenv; the job's artifacts).
 */
async function emitReport(
  ctx: CommandContext,
  report: Report,
  config: EngineConfig,
): Promise<void> {
  const { logger } = ctx;
  const { summary, details } = formatReport(report);
  logger.plain(summary);
  for (const line of details) logger.info(line);
  // One line per push call, folded in GitLab; elsewhere it would bury the summary.
  if (report.pushCalls.length > 0 && logger.folds) {
    logger.sectionStart("push_calls", `push calls: ${report.pushCalls.length}, one per line`);
    for (const line of formatPushCalls(report.pushCalls)) logger.info(line);
    logger.sectionEnd("push_calls");
  }
  if (report.failed.length > 0) {
    logger.warn(
      `${report.failed.length} store path(s) could not be pushed; the build result is unaffected` +
        " (use --strict to fail on this)",
    );
  }
  await writeReportFiles(ctx, report, config);
}

/** The backend of a finish that was set up just now (stop, push). */
export function backendOf(backend: PushBackend | null): () => Promise<PushBackend | null> {
  return () => Promise.resolve(backend);
}
