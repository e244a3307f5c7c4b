/**
 * `attic-ci stop` and `attic-ci push`: end a session started with `start`.
 * Both stop a running watcher (SIGTERM, wait for its drain), then run the
 * final push — given paths, `result*` out-links, and the reconcile against the
 * recorded baseline — and print the report. `push` is the after_script
 * safety net: on Docker the watcher is already dead, and a killed watcher's
 * ledger still says exactly what is missing.
 *
 * @module
 */

import { commandHelp } from "../cli/help.ts";
import { secondsOption } from "../cli/engine_config.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS, STOP_OPTIONS } from "../cli/option_specs.ts";
import { PathTimeline } from "../engine/path_timeline.ts";
import { ConfigError } from "../errors.ts";
import { Ledger } from "../state/ledger.ts";
import { readSessionRecord } from "../state/session_file.ts";
import { ensurePrivateDir, readOptional, type StateFiles, stateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { ENGINE_HELP_GROUPS } from "./exec.ts";
import { parseEngineCommand } from "./options.ts";
import {
  type BackendSetup,
  buildReport,
  emitReport,
  runFinalPush,
  setUpBackend,
} from "./pipeline.ts";
import { emptySummary, type SessionSummary } from "./session_summary.ts";
import { isWatcherAlive, liveWatcher, readPid, readStatus } from "./status_file.ts";

/** `stop --help`. */
export const STOP_HELP = commandHelp(
  "attic-ci stop [--timeout SECONDS] [OPTIONS]",
  "Stop the watcher started by `attic-ci start`, wait for it to drain its queue, push\n" +
    "result* out-links and anything it missed, and print the report. Without a running\n" +
    "watcher it says so and still runs the final push from the recorded state.",
  [{ title: "Stopping", options: STOP_OPTIONS }, ...ENGINE_HELP_GROUPS],
);

/** `push --help`. */
export const PUSH_HELP = commandHelp(
  "attic-ci push [OPTIONS] [PATH…]",
  "The final push on its own (after_script): push the given PATHs (store paths or links\n" +
    "into the store), the result* out-links in the working directory, and every path the\n" +
    "state directory shows as built but not pushed. Stops a still-running watcher first.",
  ENGINE_HELP_GROUPS,
);

/** Runs `stop`; returns the exit code. */
export function stopCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return finish("stop", argv, ctx);
}

/** Runs `push`; returns the exit code. */
export function pushCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return finish("push", argv, ctx);
}

async function finish(
  command: "stop" | "push",
  argv: readonly string[],
  ctx: CommandContext,
): Promise<number> {
  const specs = command === "stop"
    ? [...STOP_OPTIONS, ...ENGINE_OPTIONS, ...GLOBAL_OPTIONS]
    : [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS];
  const parsed = await parseEngineCommand(argv, specs, ctx.env, { useSavedSession: true });
  if (parsed.help) {
    ctx.stdout(command === "stop" ? STOP_HELP : PUSH_HELP);
    return 0;
  }
  const { config, args } = parsed;
  if (command === "stop" && args.positionals.length > 0) {
    throw new ConfigError(
      args.positionals[0]!,
      "unexpected argument",
      "stop takes no paths; use attic-ci push PATH…",
    );
  }
  const timeoutMs = command === "stop"
    ? secondsOption(args.values.get("timeout"), "timeout")
    : config.drainTimeoutMs + 60_000;
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);

  const watcherRan = (await liveWatcher(files)) !== null;
  const stopped = await stopWatcher(files, ctx, timeoutMs, command);
  // The watcher is stopped first, whatever happens next: it must never outlive the job.
  // A configuration error found now (e.g. the token variable is gone) still gets a report.
  let setup: BackendSetup = { backend: null, bootstrap: null };
  let configError: ConfigError | null = null;
  try {
    setup = await setUpBackend(config, ctx, files, { atStop: true });
  } catch (error) {
    // Without a stopped watcher there is nothing to report: the one-line error is all.
    if (!(error instanceof ConfigError) || !watcherRan) throw error;
    configError = error;
    ctx.logger.info(`error: ${error.message}`);
  }
  const ledger = await Ledger.open(files);
  // A watcher killed before its drain wrote no summary; its ledger still says what it pushed.
  const summary = stopped ?? { ...emptySummary(Date.now()), incremental: ledger.size };
  const timeline = new PathTimeline();
  for (const record of summary.paths) {
    timeline.detected(record.path, record.detectedAt, record.phase);
    if (record.queuedAt !== null) timeline.queued(record.path, record.queuedAt);
    if (record.pushedAt !== null) timeline.pushed(record.path, record.pushedAt, record.phase);
  }
  const final = await runFinalPush(config, ctx, setup.backend, ledger, timeline, {
    outLinkDir: ctx.cwd,
    paths: command === "push" ? args.positionals : [],
  });
  const ended = stopped === null ? (await readSessionRecord(files.session))?.ended : undefined;
  if (ended !== undefined && configError === null && final.pushed + final.failed.size === 0) {
    // The after_script safety net after an exec/build that finished on its own: a second
    // report would only repeat the first one's summary line.
    ctx.logger.info(
      `nothing left to push: the session already ended with its own final push at ${
        new Date(ended.at).toISOString()
      } (${ended.pushed} store paths pushed; its report is above)`,
    );
    return 0;
  }
  const report = buildReport(
    command,
    config,
    setup.backend?.target ?? "none (no attic client)",
    { ...summary, bootstrap: summary.bootstrap ?? setup.bootstrap },
    final,
    timeline,
    null,
  );
  await emitReport(report, ctx, config.reportFile);
  if (configError !== null) return 2;
  return config.strict && report.failed.length > 0 ? 1 : 0;
}

/**
 * Stops the watcher of this state directory, if one runs, and returns the
 * summary it wrote after draining (null when there was none or it died first).
 */
async function stopWatcher(
  files: StateFiles,
  ctx: CommandContext,
  timeoutMs: number,
  command: string,
): Promise<SessionSummary | null> {
  const pid = await readPid(files);
  const startedAt = Date.now();
  if (pid === null || !(await isWatcherAlive(pid))) {
    const why = pid === null
      ? `no watcher is running (no pidfile in ${files.dir})`
      : `no watcher is running (pid ${pid} is gone: it was killed or crashed)`;
    if (command === "stop") {
      ctx.logger.info(`${why}; running the final push from the recorded state`);
    }
    return pid === null ? null : await readSummary(files, pid);
  }
  ctx.logger.info(`stopping the watcher (pid ${pid}) and waiting for its drain`);
  Deno.kill(pid, "SIGTERM");
  let lastProgress = 0;
  while (Date.now() - startedAt < timeoutMs && (await isWatcherAlive(pid))) {
    if (Date.now() - lastProgress >= 2_000) {
      const status = await readStatus(files);
      if (status?.state === "draining" && status.pushing + status.queued > 0) {
        ctx.logger.info(`draining: ${status.pushing} pushing, ${status.queued} queued`);
      }
      lastProgress = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (await isWatcherAlive(pid)) {
    ctx.logger.warn(
      `the watcher did not finish draining within ${timeoutMs / 1000} s; killing it ` +
        "(the final push reconciles what it left)",
    );
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
  await Deno.remove(files.pidfile).catch(() => {});
  return await readSummary(files, pid);
}

async function readSummary(files: StateFiles, pid: number | null): Promise<SessionSummary | null> {
  const text = await readOptional(files.watcherReport);
  if (text === null) return null;
  try {
    const report = JSON.parse(text) as { pid: number; summary: SessionSummary };
    return pid === null || report.pid === pid ? report.summary : null;
  } catch {
    return null;
  }
}
