/**
 * `attic-ci watch`: the watcher in the foreground until SIGINT or SIGTERM,
 * then the one finish path: drain, reconcile, report (for hosts that build
 * all day, e.g. under systemd).
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { commandHelp, ENGINE_HELP_GROUPS } from "../options/help.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../options/option_specs.ts";
import { retryDeferredBootstrap, setUpBackend } from "../session/backend_setup.ts";
import { commandConfig } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import { finishSession } from "../session/finish_session.ts";
import { watchUntilSignal } from "../session/watch_session.ts";
import { refuseSecondWatcher } from "../session/watcher_process.ts";
import { ensurePrivateDir, stateFiles } from "../state/state_dir.ts";
import { DONE, type Outcome } from "./outcome.ts";

/** `watch --help`. */
export const WATCH_HELP = commandHelp(
  "attic-ci watch [OPTIONS]",
  "Watch the store in the foreground and push every finished path, until SIGINT or SIGTERM;\n" +
    "then drain, push what was missed since the start, and print the report. For hosts\n" +
    "that build all day (e.g. a systemd service with KillSignal=SIGTERM).",
  ENGINE_HELP_GROUPS,
);

/** Runs `watch`. */
export async function watchCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<Outcome> {
  const parsed = await commandConfig(argv, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], outer);
  if (parsed.help) {
    outer.system.stdout(WATCH_HELP);
    return DONE;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(parsed.args.positionals[0]!, "unexpected argument", "see watch --help");
  }
  const { config, ctx } = parsed;
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  await refuseSecondWatcher(ctx.system, files);
  const setup = await setUpBackend(config, ctx, files);
  const watched = await watchUntilSignal(config, ctx, files, setup);
  try {
    const finished = await finishSession(ctx, {
      command: "watch",
      config,
      ledger: watched.ledger,
      timeline: watched.timeline,
      streamed: {
        kind: "live",
        session: watched.session,
        startedAt: watched.startedAt,
        bootstrap: setup.bootstrap,
      },
      backend: async () =>
        setup.backend ??
          (config.backend === "attic" ? await retryDeferredBootstrap(config, ctx, files) : null),
      outLinkDir: null,
      exitCode: 0,
    });
    return { kind: "cache", cache: { complete: finished.complete, strict: config.strict } };
  } finally {
    await watched.close();
    await Deno.remove(files.pidfile).catch(() => {});
  }
}
