/**
 * `attic-ci push [PATH…]`: the final push on its own (after_script): the
 * given paths, the `result*` out-links, and every path the state directory
 * shows as built but not pushed. Stops a still-running watcher first.
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { ConfigError } from "../errors.ts";
import { endRecordedSession } from "../session/recorded_session.ts";
import { resolveStorePath, type StorePath } from "../store/store_path.ts";
import { type EngineCommand, recordedOutcome } from "./outcome.ts";

/** `attic-ci push`. */
export const pushCommand: EngineCommand = {
  ...commandLineOf("push"),
  positionals: true,
  useSavedSession: true,
  async run({ args, config, ctx }) {
    // Every PATH is checked before anything is stopped or pushed.
    const paths: StorePath[] = [];
    for (const given of args.positionals) {
      const path = await resolveStorePath(config.storeDir, given);
      if (path === null) {
        throw new ConfigError(
          `PATH ${given}`,
          `is not a store path or a link into ${config.storeDir}`,
          "pass store paths or out-links such as ./result",
        );
      }
      paths.push(path);
    }
    const result = await endRecordedSession(ctx, config, {
      command: "push",
      timeoutMs: config.drainTimeoutMs + 60_000,
      paths,
      quietWithoutWatcher: true,
    });
    return recordedOutcome(result, config.strict);
  },
};
