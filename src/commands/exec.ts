/**
 * `attic-ci exec [options] -- COMMAND…`: stream while the build runs, then
 * drain, final push, report, and exit with the build's own status.
 *
 * @module
 */

import { commandHelp } from "../cli/help.ts";
import {
  BOOTSTRAP_OPTIONS,
  ENGINE_OPTIONS,
  GLOBAL_OPTIONS,
  LOCATION_OPTIONS,
  PUSH_OPTIONS,
  TARGET_OPTIONS,
} from "../cli/option_specs.ts";
import type { EngineConfig } from "../cli/engine_config.ts";
import { ConfigError } from "../errors.ts";
import { PathTimeline } from "../engine/path_timeline.ts";
import { runForwardingSignals } from "../process/child_process.ts";
import { ensurePrivateDir, stateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { parseEngineCommand } from "./options.ts";
import {
  buildReport,
  emitReport,
  openSession,
  recordSessionEnd,
  retryDeferredBootstrap,
  runFinalPush,
  setUpBackend,
} from "./pipeline.ts";
import { summarize } from "./session_summary.ts";

/** Option groups shown by the engine commands' help. */
export const ENGINE_HELP_GROUPS = [
  { title: "Where to push", options: TARGET_OPTIONS },
  { title: "Attic client bootstrap", options: BOOTSTRAP_OPTIONS },
  { title: "State and store", options: LOCATION_OPTIONS },
  { title: "Pushing", options: PUSH_OPTIONS },
  { title: "Other", options: GLOBAL_OPTIONS },
];

/** `exec --help`. */
export const EXEC_HELP = commandHelp(
  "attic-ci exec [OPTIONS] -- COMMAND [ARGS…]",
  "Run COMMAND (your build) while pushing every store path Nix finishes to the cache.\n" +
    "Then drain the queue, push result* out-links and anything missed, print the report,\n" +
    "and exit with COMMAND's status (128+N if a signal N killed it).\n\n" +
    "Example: attic-ci exec --cache main --server https://attic.example.com/ -- nix build .#all",
  ENGINE_HELP_GROUPS,
);

/** Runs `exec`; returns the exit code. */
export async function execCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const separator = argv.indexOf("--");
  const ours = separator < 0 ? argv : argv.slice(0, separator);
  const build = separator < 0 ? [] : argv.slice(separator + 1);
  const parsed = await parseEngineCommand(ours, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], ctx.env);
  if (parsed.help) {
    ctx.stdout(EXEC_HELP);
    return 0;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(
      parsed.args.positionals[0]!,
      "unexpected argument before --",
      "write the build after --, e.g. attic-ci exec -- nix build .#all",
    );
  }
  if (build.length === 0) {
    throw new ConfigError(
      "COMMAND",
      "no command to run",
      "write the build after --, e.g. attic-ci exec -- nix build .#all",
    );
  }
  return await execUnderSession(parsed.config, build, ctx, { name: "exec" });
}

/**
 * The lifecycle of `exec` (and `build`): stream while `command` runs, then
 * drain, final push and report; returns the command's status (or 1 under
 * `--strict` when a good build could not be cached).
 */
export async function execUnderSession(
  config: EngineConfig,
  command: readonly string[],
  ctx: CommandContext,
  options: { name: "exec" | "build" },
): Promise<number> {
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  const setup = await setUpBackend(config, ctx, files);
  const timeline = new PathTimeline();
  const { session, ledger, startedAt } = await openSession(
    config,
    ctx,
    files,
    setup.backend,
    timeline,
  );

  let exitCode: number;
  try {
    exitCode = await runForwardingSignals(command, { cwd: ctx.cwd });
  } catch (error) {
    ctx.logger.warn(
      `cannot start ${command[0]}: ${error instanceof Error ? error.message : error}`,
    );
    exitCode = error instanceof Deno.errors.NotFound ? 127 : 126;
  }

  // From here on, nothing may change the build's status except --strict.
  try {
    await session.drain({ timeoutMs: config.drainTimeoutMs });
    const backend = setup.backend ?? await retryDeferredBootstrap(config, ctx, files);
    const final = await runFinalPush(config, ctx, backend, ledger, timeline, {
      outLinkDir: ctx.cwd,
    });
    const report = buildReport(
      options.name,
      config,
      backend?.target ?? "none (no attic client)",
      summarize(session, timeline, startedAt, setup.bootstrap),
      final,
      timeline,
      exitCode,
    );
    await emitReport(report, ctx, config.reportFile);
    await recordSessionEnd(files, { pushed: report.pushed });
    if (config.strict && report.failed.length > 0 && exitCode === 0) return 1;
  } catch (error) {
    ctx.logger.warn(
      `pushing to the cache failed: ${error instanceof Error ? error.message : error}; ` +
        "the build's status is kept",
    );
    if (config.strict && exitCode === 0) return 1;
  }
  return exitCode;
}
