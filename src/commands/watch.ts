/**
 * `attic-ci watch`: the watcher in the foreground until SIGINT or SIGTERM,
 * then the one finish path: drain, reconcile, report (for hosts that build
 * all day, e.g. under systemd).
 *
 * @module
 */

import { backendAtEnd } from "../session/backend_setup.ts";
import { EndDeadline } from "../session/end_deadline.ts";
import { finishSession } from "../session/finish_session.ts";
import { prepareWatcher, watchUntilSignal } from "../session/watch_session.ts";
import { commandLineOf } from "../options/command_specs.ts";
import type { EngineCommand } from "./outcome.ts";

/** `attic-ci watch`. */
export const watchCommand: EngineCommand = {
  ...commandLineOf("watch"),
  positionalHint: "see watch --help",
  async run({ config, ctx }) {
    const { files, setup } = await prepareWatcher(config, ctx);
    const watched = await watchUntilSignal(config, ctx, files, setup, "watch");
    try {
      const finished = await finishSession(ctx, {
        command: "watch",
        config,
        ledger: watched.ledger,
        timeline: watched.timeline,
        streamed: {
          kind: "live",
          session: watched.session,
          start: watched,
          bootstrap: setup.bootstrap,
        },
        backend: backendAtEnd(setup, config, ctx, files),
        outLinkDir: null,
        exitCode: 0,
        deadline: new EndDeadline(config.endBudget, ctx.system.clock),
      });
      return { kind: "cache", cache: { complete: finished.complete, strict: config.strict } };
    } finally {
      await watched.close();
      await Deno.remove(files.pidfile).catch(() => {});
    }
  },
};
