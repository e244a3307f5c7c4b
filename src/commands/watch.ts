/**
 * `attic-ci watch`: the watcher in the foreground until SIGINT or SIGTERM,
 * then drain, reconcile and report (for persistent hosts under systemd).
 * Also the detached watcher that `start` launches (`__watch`, internal),
 * which drains on SIGTERM and leaves the final push and report to `stop`.
 *
 * @module
 */

import type { BootstrapResult } from "../attic/bootstrap.ts";
import { commandHelp } from "../cli/help.ts";
import type { EngineConfig } from "../cli/engine_config.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../cli/option_specs.ts";
import { ConfigError } from "../errors.ts";
import { PathTimeline } from "../engine/path_timeline.ts";
import { TextLogger } from "../log/logger.ts";
import {
  ensurePrivateDir,
  type StateFiles,
  stateFiles,
  writePrivateFile,
} from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { ENGINE_HELP_GROUPS } from "./exec.ts";
import { parseEngineCommand } from "./options.ts";
import {
  type BackendSetup,
  buildReport,
  emitReport,
  type OpenSession,
  openSession,
  retryDeferredBootstrap,
  runFinalPush,
  setUpBackend,
} from "./pipeline.ts";
import { summarize } from "./session_summary.ts";
import { liveWatcher, StatusWriter } from "./status_file.ts";

/** `watch --help`. */
export const WATCH_HELP = commandHelp(
  "attic-ci watch [OPTIONS]",
  "Watch the store in the foreground and push every finished path, until SIGINT or SIGTERM;\n" +
    "then drain, push what was missed since the start, and print the report. For hosts\n" +
    "that build all day (e.g. a systemd service with KillSignal=SIGTERM).",
  ENGINE_HELP_GROUPS,
);

/** The variable through which `start` hands its bootstrap result to the detached watcher. */
export const INTERNAL_BOOTSTRAP_VARIABLE = "ATTIC_CI_INTERNAL_BOOTSTRAP";

/** Resolves with the first of SIGINT/SIGTERM received. */
function nextStopSignal(): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    const handlers = signals.map((signal) => {
      const handler = () => {
        for (const h of handlers) Deno.removeSignalListener(h.signal, h.handler);
        resolve(signal);
      };
      Deno.addSignalListener(signal, handler);
      return { signal, handler };
    });
  });
}

/** Refuses to start a second watcher on one state directory (they would share a ledger). */
export async function refuseSecondWatcher(files: StateFiles): Promise<void> {
  const pid = await liveWatcher(files);
  if (pid !== null) {
    throw new ConfigError(
      "--state-dir",
      `a watcher (pid ${pid}) already runs with ${files.dir}`,
      "stop it with attic-ci stop, or give this one another --state-dir",
    );
  }
}

/**
 * The part both watchers share: pidfile and live status, streaming until
 * SIGINT or SIGTERM, then the drain.
 */
async function streamUntilStopped(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  setup: BackendSetup,
  stopSignal: Promise<Deno.Signal>,
): Promise<OpenSession & { timeline: PathTimeline }> {
  const timeline = new PathTimeline();
  await writePrivateFile(files.pidfile, `${Deno.pid}\n`);
  const status = new StatusWriter(files, {
    pid: Deno.pid,
    backend: config.backend,
    target: setup.backend?.target ?? "deferred",
    startedAt: Date.now(),
  });
  try {
    const opened = await openSession(
      config,
      ctx,
      files,
      setup.backend,
      timeline,
      (s) => status.update(s),
    );
    await status.write(opened.session);
    ctx.logger.info(`watching; stop with SIGINT or SIGTERM (pid ${Deno.pid})`);
    const signal = await stopSignal;
    ctx.logger.info(`${signal} received: draining`);
    await opened.session.drain({ timeoutMs: config.drainTimeoutMs });
    await status.write(opened.session);
    return { ...opened, timeline };
  } finally {
    await status.close();
  }
}

/** Runs `watch`; returns the exit code. */
export async function watchCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const parsed = await parseEngineCommand(argv, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], ctx.env);
  if (parsed.help) {
    ctx.stdout(WATCH_HELP);
    return 0;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(parsed.args.positionals[0]!, "unexpected argument", "see watch --help");
  }
  const { config } = parsed;
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  await refuseSecondWatcher(files);
  const setup = await setUpBackend(config, ctx, files);
  const stopSignal = nextStopSignal();
  try {
    const { session, ledger, startedAt, timeline } = await streamUntilStopped(
      config,
      ctx,
      files,
      setup,
      stopSignal,
    );
    const backend = setup.backend ?? await retryDeferredBootstrap(config, ctx, files);
    const final = await runFinalPush(config, ctx, backend, ledger, timeline, { outLinkDir: null });
    const report = buildReport(
      "watch",
      config,
      backend?.target ?? "none (no attic client)",
      summarize(session, timeline, startedAt, setup.bootstrap),
      final,
      timeline,
      0,
    );
    await emitReport(report, ctx, config.reportFile);
    return config.strict && report.failed.length > 0 ? 1 : 0;
  } finally {
    await Deno.remove(files.pidfile).catch(() => {});
  }
}

/**
 * The detached watcher started by `start` (internal command `__watch`): logs
 * to the state directory, writes its status as it works, and on SIGTERM
 * drains and writes its summary for `stop`.
 */
export async function detachedWatchCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<number> {
  const parsed = await parseEngineCommand(argv, ENGINE_OPTIONS, outer.env);
  if (parsed.help) return 2;
  const { config } = parsed;
  const files = stateFiles(config.stateDir);
  const log = await Deno.open(files.watcherLog, { append: true, create: true, mode: 0o600 });
  const encoder = new TextEncoder();
  const ctx: CommandContext = {
    ...outer,
    logger: new TextLogger((text) => {
      log.writeSync(encoder.encode(`${new Date().toISOString()} ${text}`));
    }),
  };
  const stopSignal = nextStopSignal();
  try {
    const preset = outer.env[INTERNAL_BOOTSTRAP_VARIABLE];
    const setup = await setUpBackend(config, ctx, files, {
      ...(preset ? { bootstrap: JSON.parse(preset) as BootstrapResult } : {}),
    });
    const { session, startedAt, timeline } = await streamUntilStopped(
      config,
      ctx,
      files,
      setup,
      stopSignal,
    );
    const summary = summarize(session, timeline, startedAt, setup.bootstrap);
    await writePrivateFile(files.watcherReport, JSON.stringify({ pid: Deno.pid, summary }) + "\n");
    ctx.logger.info(`drained; ${summary.incremental} paths pushed incrementally`);
    return 0;
  } catch (error) {
    ctx.logger.info(`error: ${error instanceof Error ? error.message : error}`);
    return 1;
  } finally {
    log.close();
  }
}
