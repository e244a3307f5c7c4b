/**
 * `attic-ci build [INSTALLABLE…] [-- NIX_ARGS…]`: `nix build` under the
 * lifecycle of `exec`. It exists for the component: installables and Nix
 * flags arrive as list variables (`ATTIC_CI_INSTALLABLES`,
 * `ATTIC_CI_NIX_FLAGS`) and become argv items here, so no value is ever
 * pasted into shell code.
 *
 * @module
 */

import { commandHelp, ENGINE_HELP_GROUPS } from "../options/help.ts";
import { BUILD_OPTIONS, ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../options/option_specs.ts";
import { commandConfig } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import { runBuildSession } from "../session/build_session.ts";
import { buildOutcome, DONE, type Outcome } from "./outcome.ts";

/** `build --help`. */
export const BUILD_HELP = commandHelp(
  "attic-ci build [OPTIONS] [INSTALLABLE…] [-- NIX_ARGS…]",
  "Run `nix build NIX_ARGS… INSTALLABLE…` while pushing every store path Nix finishes,\n" +
    "then drain, final push and report, like exec; exit with nix build's status.\n" +
    "Without INSTALLABLEs, ATTIC_CI_INSTALLABLES is used (default: nix build's own, .#default);\n" +
    'without `--`, ATTIC_CI_NIX_FLAGS. Both take a list such as [".#a", ".#b"] or one\n' +
    "value per line.\n\n" +
    "Example: attic-ci build --cache main --server https://attic.example.com/ .#a .#b -- -L",
  [{ title: "What to build", options: BUILD_OPTIONS }, ...ENGINE_HELP_GROUPS],
);

/** Runs `build`; its outcome carries nix build's status. */
export async function buildCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<Outcome> {
  const separator = argv.indexOf("--");
  const ours = separator < 0 ? argv : argv.slice(0, separator);
  const parsed = await commandConfig(
    ours,
    [...ENGINE_OPTIONS, ...BUILD_OPTIONS, ...GLOBAL_OPTIONS],
    outer,
  );
  if (parsed.help) {
    outer.system.stdout(BUILD_HELP);
    return DONE;
  }
  const installables = parsed.args.positionals.length > 0
    ? parsed.args.positionals
    : listValue(parsed.args.values.get("installables")?.value);
  const nixArgs = separator >= 0
    ? argv.slice(separator + 1)
    : listValue(parsed.args.values.get("nix-flags")?.value);
  const command = ["nix", "build", ...nixArgs, ...installables];
  parsed.ctx.logger.info(`running: ${displayCommand(command)}`);
  const result = await runBuildSession(parsed.config, command, parsed.ctx, "build");
  return buildOutcome(result, parsed.config.strict);
}

function listValue(value: string | boolean | string[] | undefined): string[] {
  return Array.isArray(value) ? value : [];
}

/** The command as a person would type it in a POSIX shell (for the log only; never run). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((arg) =>
    /^[\w@%+=:,./#-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
  )
    .join(" ");
}
