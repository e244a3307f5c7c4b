/**
 * A command's configuration: flags, then `ATTIC_CI_*` variables, then (for
 * `stop` and `push`) the options saved by the session `start` or `exec` began,
 * then defaults. Once the configuration is known, the context's system hides
 * the token variable from every child — the one place that happens.
 *
 * @module
 */

import { type EngineConfig, engineConfig } from "../options/engine_config.ts";
import type { OptionSpec } from "../options/option_specs.ts";
import { parseCommandArgs, type ParsedArgs } from "../options/parse_args.ts";
import { defaultStateDir, stateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { readSessionRecord } from "./session_record.ts";

/** Parsed arguments plus the validated configuration and its context, or a request for help. */
export type CommandConfig =
  | {
    readonly help: false;
    readonly args: ParsedArgs;
    readonly config: EngineConfig;
    /** The command's context, with the token variable hidden from every child. */
    readonly ctx: CommandContext;
  }
  | { readonly help: true; readonly args: ParsedArgs };

/** Parses engine options, layering in a saved session's options when asked. */
export async function commandConfig(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  ctx: CommandContext,
  options: { useSavedSession?: boolean } = {},
): Promise<CommandConfig> {
  const env = ctx.system.env;
  let args = parseCommandArgs(argv, specs, env);
  if (args.values.has("help")) return { help: true, args };
  if (options.useSavedSession) {
    const dir = String(args.values.get("state-dir")?.value ?? defaultStateDir(env));
    const saved = (await readSessionRecord(stateFiles(dir).session))?.options;
    if (saved) {
      args = parseCommandArgs(argv, specs, env, {
        saved,
        savedSource: `the options saved by attic-ci start in ${dir}`,
      });
    }
  }
  const config = engineConfig(args, env);
  return {
    help: false,
    args,
    config,
    ctx: { ...ctx, system: ctx.system.hiding(config.tokenVariable) },
  };
}
