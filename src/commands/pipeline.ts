/**
 * The wiring shared by the commands: set up the backend (with the attic
 * bootstrap), open a streaming session, run the final push and print the
 * report. Each command composes these steps in its own lifecycle.
 *
 * @module
 */

import process from "node:process";
import { writeAtticConfig } from "../attic/attic_config.ts";
import { bootstrapAtticClient, type BootstrapResult } from "../attic/bootstrap.ts";
import { readToken } from "../attic/token.ts";
import { AtticBackend } from "../backends/attic_backend.ts";
import { NixCopyBackend } from "../backends/nix_copy_backend.ts";
import type { PushBackend } from "../backends/push_backend.ts";
import { type EngineConfig, savedOptions } from "../cli/engine_config.ts";
import { ConfigError } from "../errors.ts";
import { finalPush, type FinalPushResult } from "../engine/final_push.ts";
import type { PathTimeline } from "../engine/path_timeline.ts";
import { StreamingSession } from "../engine/streaming_session.ts";
import { Ledger } from "../state/ledger.ts";
import { markSessionEnded, writeSessionRecord } from "../state/session_file.ts";
import type { StateFiles } from "../state/state_dir.ts";
import { PathFilter } from "../store/path_filter.ts";
import { listStoreNames } from "../store/store_listing.ts";
import { NixValidityChecker } from "../store/validity_checker.ts";
import {
  formatPushCalls,
  formatReport,
  peakRssBytes,
  type Report,
  REPORT_SCHEMA,
} from "../report/report.ts";
import type { CommandContext } from "./context.ts";
import type { SessionSummary } from "./session_summary.ts";

/** A backend ready to push, or null in deferred mode, and how it was obtained. */
export interface BackendSetup {
  readonly backend: PushBackend | null;
  readonly bootstrap: BootstrapResult | null;
}

/**
 * Prepares the configured backend. For attic: reads the token (exit 2 when
 * it is missing), writes the private config, bootstraps the client and says
 * in the log which way was taken.
 */
export async function setUpBackend(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  options: { bootstrap?: BootstrapResult; atStop?: boolean } = {},
): Promise<BackendSetup> {
  const removeEnv = [config.tokenVariable];
  if (config.backend === "nix-copy") {
    return {
      backend: new NixCopyBackend(ctx.runner, {
        to: config.to!,
        removeEnv,
        timeoutMs: config.pushTimeoutMs,
      }),
      bootstrap: null,
    };
  }
  let bootstrap = options.bootstrap;
  if (bootstrap === undefined) {
    // Read the token first: a missing token is a configuration error (exit 2).
    await writeAtticConfig(files, config.server!, await readToken(config.tokenVariable, ctx.env));
    ctx.logger.sectionStart("bootstrap", "fetching the attic client (substitution only)");
    bootstrap = await bootstrapAtticClient(ctx.runner, {
      installable: config.bootstrapInstallable,
      outLink: files.atticClientLink,
      timeoutMs: config.bootstrapTimeoutMs,
      path: ctx.env.PATH,
      removeEnv,
    });
    ctx.logger.sectionEnd("bootstrap");
    ctx.logger.info(
      bootstrap.mode === "deferred"
        ? `bootstrap: deferred mode: ${bootstrap.reason}; ` +
          (options.atStop
            ? "nothing can be pushed now"
            : "recording paths now, pushing them at stop")
        : `bootstrap: attic client ${bootstrap.client}: ${bootstrap.reason}`,
    );
  }
  if (bootstrap.client === null) return { backend: null, bootstrap };
  return {
    backend: new AtticBackend(ctx.runner, {
      client: bootstrap.client,
      cache: config.cache!,
      server: config.server!,
      configHome: files.atticConfigHome,
      jobs: config.atticJobs,
      timeoutMs: config.pushTimeoutMs,
      removeEnv,
    }),
    bootstrap,
  };
}

/** A running session and what it needs to finish. */
export interface OpenSession {
  readonly session: StreamingSession;
  readonly ledger: Ledger;
  readonly startedAt: number;
}

/** Takes the baseline, starts a fresh ledger and starts streaming. */
export async function openSession(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  backend: PushBackend | null,
  timeline: PathTimeline,
  onChange?: (session: StreamingSession) => void,
): Promise<OpenSession> {
  const startedAt = Date.now();
  const baseline = await storeBaseline(config.storeDir);
  const ledger = await Ledger.begin(files, baseline);
  await writeSessionRecord(files.session, {
    startedAt,
    pid: Deno.pid,
    options: savedOptions(config),
  });
  const session = new StreamingSession({
    watcher: ctx.openWatcher(config.storeDir),
    checker: new NixValidityChecker(ctx.runner, { removeEnv: [config.tokenVariable] }),
    backend,
    ledger,
    timeline,
    logger: ctx.logger,
  }, {
    storeDir: config.storeDir,
    baseline,
    filter: pathFilter(config),
    batch: {
      idleMs: config.batchIdleMs,
      maxWaitMs: config.batchMaxWaitMs,
      maxSize: config.batchMaxSize,
    },
    push: pushOptions(config),
    ...(onChange ? { onChange } : {}),
  });
  const where = backend?.target ?? "nowhere yet (deferred)";
  ctx.logger.info(
    `streaming finished paths of ${config.storeDir} to ${where} (${baseline.size} paths in the baseline)`,
  );
  return { session, ledger, startedAt };
}

/** The path filter of a configuration. */
export function pathFilter(config: EngineConfig): PathFilter {
  return new PathFilter({ exclude: config.exclude });
}

/** The retry and concurrency settings of a configuration. */
export function pushOptions(config: EngineConfig) {
  return {
    concurrency: config.pushJobs,
    retries: config.retries,
    retryDelayMs: config.retryDelayMs,
  };
}

async function storeBaseline(storeDir: string): Promise<Set<string>> {
  try {
    return await listStoreNames(storeDir);
  } catch (error) {
    throw new ConfigError(
      "--store-dir",
      `cannot read ${storeDir}: ${error instanceof Error ? error.message : error}`,
      "is Nix installed? point --store-dir at the Nix store",
    );
  }
}

/** Runs the final push with a configuration's settings, in its own log section. */
export async function runFinalPush(
  config: EngineConfig,
  ctx: CommandContext,
  backend: PushBackend | null,
  ledger: Ledger,
  timeline: PathTimeline,
  options: { outLinkDir: string | null; paths?: readonly string[] },
): Promise<FinalPushResult> {
  ctx.logger.sectionStart("final_push", "final push: result* out-links and reconcile");
  try {
    return await finalPush({
      backend,
      checker: new NixValidityChecker(ctx.runner, { removeEnv: [config.tokenVariable] }),
      ledger,
      timeline,
      logger: ctx.logger,
    }, {
      storeDir: config.storeDir,
      filter: pathFilter(config),
      outLinkDir: options.outLinkDir,
      ...(options.paths ? { paths: options.paths } : {}),
      batchSize: config.batchMaxSize,
      push: pushOptions(config),
      timeoutMs: config.drainTimeoutMs,
    });
  } finally {
    ctx.logger.sectionEnd("final_push");
  }
}

/** Joins the streaming summary and the final push into the report. */
export function buildReport(
  command: string,
  config: EngineConfig,
  target: string,
  summary: SessionSummary,
  final: FinalPushResult,
  timeline: PathTimeline,
  exitCode: number | null,
): Report {
  const failures: Record<string, string> = {};
  const delivered = new Set(
    timeline.records().filter((r) => r.pushedAt !== null).map((r) => r.path),
  );
  // Paths the streaming failed but the final push delivered are not failures.
  for (const [path, why] of Object.entries(summary.failures)) {
    if (!delivered.has(path)) failures[path] = why;
  }
  for (const [path, why] of final.failed) failures[path] = why;
  const invalid = new Set([...summary.invalid, ...final.invalid]);
  const cpu = process.cpuUsage();
  return {
    schema: REPORT_SCHEMA,
    command,
    backend: config.backend,
    target,
    startedAt: summary.startedAt,
    endedAt: Date.now(),
    exitCode,
    bootstrap: summary.bootstrap,
    incremental: summary.incremental,
    finalPush: final.pushed,
    pushed: summary.incremental + final.pushed,
    finalPushDetail: { outLinks: final.outLinks, reconciled: final.reconciled, given: final.given },
    deferred: summary.deferred,
    skipped: {
      invalid: invalid.size,
      derivations: Math.max(summary.derivations, final.derivations),
      excluded: Math.max(summary.excluded, final.excluded),
    },
    failed: Object.keys(failures).sort(),
    failures,
    retries: summary.retries + final.retries,
    pushInvocations: summary.pushInvocations + final.invocations,
    rescans: summary.rescans,
    drainSeconds: summary.drainSeconds,
    resources: { peakRssBytes: peakRssBytes(), cpuSeconds: (cpu.user + cpu.system) / 1e6 },
    paths: timeline.records(),
    pushCalls: [
      ...summary.pushCalls.map((call) => ({ ...call, phase: "incremental" as const })),
      ...final.calls.map((call) => ({ ...call, phase: "final" as const })),
    ],
  };
}

/** Prints the report (summary line first) and writes the JSON file if asked. */
export async function emitReport(
  report: Report,
  ctx: CommandContext,
  reportFile: string | null,
): Promise<void> {
  const { summary, details } = formatReport(report);
  ctx.logger.plain(summary);
  for (const line of details) ctx.logger.info(line);
  // One line per push call, folded in GitLab; elsewhere it would bury the summary.
  if (report.pushCalls.length > 0 && ctx.logger.folds) {
    ctx.logger.sectionStart("push_calls", `push calls: ${report.pushCalls.length}, one per line`);
    for (const line of formatPushCalls(report.pushCalls)) ctx.logger.info(line);
    ctx.logger.sectionEnd("push_calls");
  }
  if (report.failed.length > 0) {
    ctx.logger.warn(
      `${report.failed.length} store path(s) could not be pushed; the build result is unaffected` +
        " (use --strict to fail on this)",
    );
  }
  if (reportFile !== null) {
    await Deno.writeTextFile(reportFile, JSON.stringify(report, null, 2) + "\n");
  }
}

/**
 * Deferred mode at stop: the main build may have produced the client by now,
 * so try the bootstrap again. Returns the backend, or null with a warning.
 */
export async function retryDeferredBootstrap(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
): Promise<PushBackend | null> {
  if (config.backend !== "attic") return null;
  ctx.logger.info("deferred mode: trying the attic client bootstrap again");
  const setup = await setUpBackend(config, ctx, files, { atStop: true });
  if (setup.backend === null) {
    ctx.logger.warn(
      "still no attic client: the recorded paths stay unpushed; " +
        "`attic-ci push` with a client available pushes them later",
    );
  }
  return setup.backend;
}

/**
 * Records that the session ended with its own final push, so the
 * after_script safety net (`attic-ci push`) can say so instead of printing a
 * second report. A failure to record only costs that courtesy.
 */
export async function recordSessionEnd(
  files: StateFiles,
  summary: { pushed: number },
): Promise<void> {
  await markSessionEnded(files.session, { at: Date.now(), pushed: summary.pushed }).catch(
    () => {},
  );
}
