/**
 * Dispatches a command line to its command and decides the exit code in one
 * place: 2 for bad usage or configuration, otherwise what the command returns.
 *
 * @module
 */

import { bootstrapCommand } from "../commands/bootstrap.ts";
import { buildCommand } from "../commands/build.ts";
import type { CommandContext } from "../commands/context.ts";
import { execCommand } from "../commands/exec.ts";
import { pushCommand, stopCommand } from "../commands/finish.ts";
import { startCommand } from "../commands/start.ts";
import { statusCommand } from "../commands/status.ts";
import { detachedWatchCommand, watchCommand } from "../commands/watch.ts";
import { ConfigError } from "../errors.ts";
import { VERSION } from "../version.ts";

/** The top-level help. */
export const MAIN_HELP =
  `attic-ci ${VERSION}: push every store path Nix finishes to your binary cache, while the build runs.

Usage: attic-ci COMMAND [OPTIONS]

Commands:
  exec [opts] -- CMD…    stream while CMD runs, then drain, final push, report; exit with CMD's status
  build [opts] [REF…]    the same for nix build REF… (what the component's nix-build job runs)
  start [opts]           bootstrap, start the detached watcher, return at once
  stop [--timeout S]     stop the watcher, wait for its drain, final push, print the report
  push [opts] [PATH…]    final push: PATHs, result* out-links, and what the state dir says is missing
  watch [opts]           watch in the foreground until SIGINT/SIGTERM, then drain (for systemd)
  bootstrap [opts]       fetch the attic client without compiling it; print its path
  status [--json]        what the watcher is doing

Every option is also read from ATTIC_CI_<NAME> (e.g. --token-variable: ATTIC_CI_TOKEN_VARIABLE);
a flag beats the variable. Run attic-ci COMMAND --help for a command's options.

Exit codes: 2 for bad usage or configuration; exec returns CMD's status; otherwise 0,
or 1 under --strict when anything could not be pushed.
`;

type Command = (argv: readonly string[], ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  exec: execCommand,
  build: buildCommand,
  start: startCommand,
  stop: stopCommand,
  push: pushCommand,
  watch: watchCommand,
  bootstrap: bootstrapCommand,
  status: statusCommand,
  __watch: detachedWatchCommand,
};

/** Runs one command line and returns the process exit code. */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout(MAIN_HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    ctx.stdout(`attic-ci ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) {
      throw new ConfigError(
        name,
        "unknown command",
        "use one of exec, build, start, stop, push, watch, bootstrap, status (see attic-ci --help)",
      );
    }
    return await command(rest, ctx);
  } catch (error) {
    if (error instanceof ConfigError) {
      ctx.logger.info(`error: ${error.message}`);
      return 2;
    }
    ctx.logger.info(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
