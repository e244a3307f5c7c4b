/**
 * Reading a command's command line: flags, then `ATTIC_CI_*` variables, then
 * (for `stop` and `push`) the options saved by the session `start` or `exec`
 * began, then defaults; `--help`; positional arguments the command takes
 * none of. Once the configuration is known, the context's system hides the
 * token variable from every child — the one place that happens.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { type EngineConfig, engineConfig } from "../options/engine_config.ts";
import type { OptionSpec } from "../options/option_specs.ts";
import { parseCommandArgs, type ParsedArgs } from "../options/parse_args.ts";
import { defaultStateDir, stateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { readSessionRecord } from "./session_record.ts";

/** How a command reads its command line. */
export interface CommandLine {
  readonly specs: readonly OptionSpec[];
  /** Printed for `--help`. */
  readonly help: string;
  /** Whether positional arguments are the command's (paths, installables). @default false */
  readonly positionals?: boolean;
  /** How to fix an unexpected positional argument. @default "see --help" */
  readonly positionalHint?: string;
  /** Layer in the options the session saved (`stop`, `push`). @default false */
  readonly useSavedSession?: boolean;
}

/** A command line read and validated into an engine configuration. */
export interface ReadCommandLine {
  /** The arguments as given (before `--`), e.g. for the detached watcher. */
  readonly argv: readonly string[];
  readonly args: ParsedArgs;
  readonly config: EngineConfig;
  /** The command's context, with the token variable hidden from every child. */
  readonly ctx: CommandContext;
}

/**
 * Parses the arguments: prints the help and returns null for `--help`;
 * refuses positional arguments the command takes none of.
 */
export async function readArguments(
  argv: readonly string[],
  ctx: CommandContext,
  line: CommandLine,
): Promise<ParsedArgs | null> {
  const args = await parseCommandArgs(argv, line.specs, ctx.system.env);
  if (args.values.has("help")) {
    ctx.system.stdout(line.help);
    return null;
  }
  const stray = args.positionals[0];
  if (!line.positionals && stray !== undefined) {
    throw new ConfigError(stray, "unexpected argument", line.positionalHint ?? "see --help");
  }
  return args;
}

/** Reads an engine command's command line into its configuration; null after `--help`. */
export async function readCommandLine(
  argv: readonly string[],
  ctx: CommandContext,
  line: CommandLine,
): Promise<ReadCommandLine | null> {
  let args = await readArguments(argv, ctx, line);
  if (args === null) return null;
  if (line.useSavedSession) {
    const env = ctx.system.env;
    const dir = String(args.values.get("state-dir")?.value ?? defaultStateDir(env));
    const saved = (await readSessionRecord(stateFiles(dir).session))?.options;
    if (saved) {
      args = await parseCommandArgs(argv, line.specs, env, {
        saved,
        savedSource: `the options saved by attic-ci start in ${dir}`,
      });
    }
  }
  return { argv, args, ...configure(args, ctx) };
}

/** The configuration of parsed arguments, and the context that hides its token variable. */
export function configure(
  args: ParsedArgs,
  ctx: CommandContext,
): { config: EngineConfig; ctx: CommandContext } {
  const config = engineConfig(args, ctx.system.env);
  return { config, ctx: { ...ctx, system: ctx.system.hiding(config.tokenVariable) } };
}
