/**
 * `attic-ci stop`: end a session started with `start`: stop the watcher
 * (SIGTERM, wait for its drain), push `result*` out-links and anything it
 * missed, print the report. Without a running watcher it says so and still
 * runs the final push from the recorded state.
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { secondsOption } from "../options/engine_config.ts";
import { endRecordedSession } from "../session/recorded_session.ts";
import { type EngineCommand, recordedOutcome } from "./outcome.ts";

/** `attic-ci stop`. */
export const stopCommand: EngineCommand = {
  ...commandLineOf("stop"),
  positionalHint: "stop takes no paths; use attic-ci push PATH…",
  useSavedSession: true,
  async run({ args, config, ctx }) {
    const result = await endRecordedSession(ctx, config, {
      command: "stop",
      timeoutMs: secondsOption(args.values.get("timeout"), "timeout"),
      paths: [],
      quietWithoutWatcher: false,
    });
    return recordedOutcome(result, config.strict);
  },
};
