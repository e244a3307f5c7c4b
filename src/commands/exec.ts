/**
 * `attic-ci exec [options] -- COMMAND…`: stream while the build runs, then
 * drain, final push, report; its outcome carries the build's own status.
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { ConfigError } from "../errors.ts";
import { runBuildSession } from "../session/build_session.ts";
import { buildOutcome, type EngineCommand } from "./outcome.ts";

const HOW = "write the build after --, e.g. attic-ci exec -- nix build .#all";

/** `attic-ci exec`. */
export const execCommand: EngineCommand = {
  ...commandLineOf("exec"),
  positionalHint: HOW,
  afterDashes: true,
  async run({ config, ctx }, after) {
    if (after === null || after.length === 0) {
      throw new ConfigError("COMMAND", "no command to run", HOW);
    }
    return buildOutcome(await runBuildSession(config, after, ctx, "exec"), config.strict);
  },
};
