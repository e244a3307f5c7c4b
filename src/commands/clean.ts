/**
 * `attic-ci clean`: remove the state directory's files that hold the token
 * (token file, attic configuration, the job's netrc). The session commands
 * do it themselves when they end; a job that only ran `use` ends with this.
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { ConfigError } from "../errors.ts";
import { readArguments } from "../session/command_config.ts";
import { defaultStateDir, removeSecrets, stateFiles } from "../state/state_dir.ts";
import { DONE, type PlainCommand } from "./outcome.ts";

const LINE = commandLineOf("clean");

/** Runs `clean`. */
export const cleanCommand: PlainCommand = async (argv, ctx) => {
  const args = readArguments(argv, ctx, { ...LINE, positionalHint: "see clean --help" });
  if (args === null) return DONE;
  const given = args.values.get("state-dir");
  const dir = String(given?.value ?? defaultStateDir(ctx.system.env));
  if (!dir.startsWith("/")) {
    throw new ConfigError(
      given?.source ?? "--state-dir",
      `expected an absolute path, got "${dir}"`,
    );
  }
  const removed = await removeSecrets(stateFiles(dir));
  ctx.logger.info(
    removed.length === 0
      ? `no file holding the token in ${dir}`
      : `removed the files holding the token: ${removed.join(", ")}`,
  );
  return DONE;
};
