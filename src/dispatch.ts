/**
 * The command line, dispatched: the command table, `--help` and `--version`
 * (anywhere before `--`), and the one place an exit code is decided — from
 * the command's outcome, or from the error it threw.
 *
 * @module
 */

import { bootstrapCommand } from "./commands/bootstrap.ts";
import { buildCommand } from "./commands/build.ts";
import { cleanCommand } from "./commands/clean.ts";
import { execCommand } from "./commands/exec.ts";
import { DONE, type EngineCommand, type Outcome, type PlainCommand } from "./commands/outcome.ts";
import { pushCommand } from "./commands/push.ts";
import { renderCommand } from "./commands/render.ts";
import { startCommand } from "./commands/start.ts";
import { statusCommand } from "./commands/status.ts";
import { stopCommand } from "./commands/stop.ts";
import { useCommand } from "./commands/use.ts";
import { watchCommand } from "./commands/watch.ts";
import { watcherCommand } from "./commands/watcher.ts";
import { ConfigError, EnvironmentError } from "./errors.ts";
import { mainHelp } from "./options/command_specs.ts";
import { splitAtDashes } from "./options/parse_args.ts";
import { readCommandLine } from "./session/command_config.ts";
import type { CommandContext } from "./session/context.ts";
import { WATCHER_COMMAND } from "./session/watcher_process.ts";
import { VERSION } from "./version.ts";

/** The top-level help. */
export const MAIN_HELP = mainHelp(VERSION);

const COMMANDS: Record<string, EngineCommand | PlainCommand> = {
  exec: execCommand,
  build: buildCommand,
  start: startCommand,
  stop: stopCommand,
  push: pushCommand,
  watch: watchCommand,
  bootstrap: bootstrapCommand,
  use: useCommand,
  clean: cleanCommand,
  status: statusCommand,
  render: renderCommand,
  [WATCHER_COMMAND]: watcherCommand,
};

/** The exit code of an outcome. */
export function exitCode(outcome: Outcome): number {
  switch (outcome.kind) {
    case "done":
      return 0;
    case "usage":
    case "reported-with-error":
      return 2;
    case "build":
      // Caching never fails a good build, unless --strict asks for it.
      return outcome.status === 0 && outcome.cache.strict && !outcome.cache.complete
        ? 1
        : outcome.status;
    case "cache":
      return outcome.cache.strict && !outcome.cache.complete ? 1 : 0;
    case "watcher":
      return outcome.running ? 0 : 3;
    case "client":
      return outcome.found ? 0 : 1;
  }
}

/** Runs a command: an engine command's command line is read here, the same way for all. */
async function runCommand(
  command: EngineCommand | PlainCommand,
  argv: readonly string[],
  ctx: CommandContext,
): Promise<Outcome> {
  if (typeof command === "function") return await command(argv, ctx);
  const { ours, after } = command.afterDashes ? splitAtDashes(argv) : { ours: argv, after: null };
  const line = await readCommandLine(ours, ctx, command);
  return line === null ? DONE : await command.run(line, after);
}

/** Runs one command line and returns the process exit code. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    ctx.system.stdout(MAIN_HELP);
    return exitCode(name === undefined ? { kind: "usage" } : { kind: "done" });
  }
  const ownArgs = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (name === "--version" || name === "-V" || ownArgs.includes("--version")) {
    ctx.system.stdout(`attic-ci ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) {
      throw new ConfigError(
        name,
        "unknown command",
        "use one of exec, build, start, stop, push, watch, bootstrap, use, clean, status, " +
          "render " +
          "(see attic-ci --help)",
      );
    }
    return exitCode(await runCommand(command, rest, ctx));
  } catch (error) {
    ctx.logger.info(`error: ${error instanceof Error ? error.message : String(error)}`);
    // Bad input, or a machine that stops caching where nothing else could go on: one line, exit 2.
    return error instanceof ConfigError || error instanceof EnvironmentError ? 2 : 1;
  }
}
