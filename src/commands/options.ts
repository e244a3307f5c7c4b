/**
 * Option parsing shared by the commands that push: flags, then `ATTIC_CI_*`
 * variables, then the options saved by the session that `start` began (so
 * `stop` and `push` push where the watcher pushed), then defaults.
 *
 * @module
 */

import { type EngineConfig, engineConfig } from "../cli/engine_config.ts";
import { parseCommandArgs, type ParsedArgs } from "../cli/parse_args.ts";
import type { OptionSpec } from "../cli/option_specs.ts";
import { readSessionRecord } from "../state/session_file.ts";
import { defaultStateDir, stateFiles } from "../state/state_dir.ts";

/** Parsed arguments plus the validated engine configuration, or a request for help. */
export type CommandConfig =
  | { readonly help: false; readonly args: ParsedArgs; readonly config: EngineConfig }
  | { readonly help: true; readonly args: ParsedArgs };

/** Parses engine options, layering in a saved session's options when asked. */
export async function parseEngineCommand(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  env: Readonly<Record<string, string | undefined>>,
  options: { useSavedSession?: boolean } = {},
): Promise<CommandConfig> {
  let args = parseCommandArgs(argv, specs, env);
  if (options.useSavedSession && !args.values.has("help")) {
    const dir = String(args.values.get("state-dir")?.value ?? defaultStateDir(env));
    const saved = (await readSessionRecord(stateFiles(dir).session))?.options;
    if (saved) {
      args = parseCommandArgs(argv, specs, env, {
        saved,
        savedSource: `the options saved by attic-ci start in ${dir}`,
      });
    }
  }
  if (args.values.has("help")) return { help: true, args };
  return { help: false, args, config: engineConfig(args, env) };
}
