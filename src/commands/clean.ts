/**
 * `attic-ci clean`: the end of a job that only read the cache (`use`): the
 * state directory's files that hold the token (the job's netrc, a token file,
 * an attic configuration) are removed, and the directory itself when no
 * session's record is in it (a session's end is `stop` or `push`, which
 * clean up themselves).
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
  const args = await readArguments(argv, ctx, { ...LINE, positionalHint: "see clean --help" });
  if (args === null) return DONE;
  const given = args.values.get("state-dir");
  const dir = String(given?.value ?? defaultStateDir(ctx.system.env));
  if (!dir.startsWith("/")) {
    throw new ConfigError(
      given?.source ?? "--state-dir",
      `expected an absolute path, got "${dir}"`,
    );
  }
  const files = stateFiles(dir);
  const removed = await removeSecrets(files);
  ctx.logger.info(
    removed.length === 0
      ? `no file holding the token in ${dir}`
      : `removed the files holding the token: ${removed.join(", ")}`,
  );
  const session = await Deno.lstat(files.session).then(() => true, () => false);
  if (!session) await Deno.remove(dir, { recursive: true }).catch(() => {});
  return DONE;
};
