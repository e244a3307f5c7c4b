/**
 * The command line, dispatched: the command table, `--help` and `--version`
 * (anywhere before `--`), and the one place an exit code is decided — from
 * the command's outcome, or from the error it threw.
 *
 * @module
 */

import { bootstrapCommand } from "./commands/bootstrap.ts";
import { buildCommand } from "./commands/build.ts";
import { execCommand } from "./commands/exec.ts";
import type { Command, Outcome } from "./commands/outcome.ts";
import { pushCommand } from "./commands/push.ts";
import { startCommand } from "./commands/start.ts";
import { statusCommand } from "./commands/status.ts";
import { stopCommand } from "./commands/stop.ts";
import { watchCommand } from "./commands/watch.ts";
import { watcherCommand } from "./commands/watcher.ts";
import { ConfigError } from "./errors.ts";
import type { CommandContext } from "./session/context.ts";
import { WATCHER_COMMAND } from "./session/watcher_process.ts";
import { VERSION } from "./version.ts";

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

const COMMANDS: Record<string, Command<CommandContext>> = {
  exec: execCommand,
  build: buildCommand,
  start: startCommand,
  stop: stopCommand,
  push: pushCommand,
  watch: watchCommand,
  bootstrap: bootstrapCommand,
  status: statusCommand,
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
        "use one of exec, build, start, stop, push, watch, bootstrap, status (see attic-ci --help)",
      );
    }
    return exitCode(await command(rest, ctx));
  } catch (error) {
    ctx.logger.info(`error: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}
