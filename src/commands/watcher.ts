/**
 * The detached watcher that `start` launches (internal command `__watch`):
 * logs to the state directory, writes its status as it works, and on SIGTERM
 * drains and writes its summary for `stop`, which finishes the session.
 *
 * @module
 */

import { ENGINE_OPTIONS } from "../options/option_specs.ts";
import { TextLogger } from "../log/logger.ts";
import { summarize } from "../report/session_summary.ts";
import { setUpBackend } from "../session/backend_setup.ts";
import { configure } from "../session/command_config.ts";
import { parseCommandArgs } from "../options/parse_args.ts";
import type { CommandContext } from "../session/context.ts";
import { watchUntilSignal } from "../session/watch_session.ts";
import {
  bootstrapHandOff,
  CACHE_KEY_HANDOFF_VARIABLE,
  JOB_GROUP_HANDOFF_VARIABLE,
  WATCHER_COMMAND,
} from "../session/watcher_process.ts";
import { writeWatcherReport } from "../session/watcher_report.ts";
import { stateFiles } from "../state/state_dir.ts";
import { DONE, type PlainCommand } from "./outcome.ts";

/** Runs the detached watcher (`__watch`, started by `start` with `start`'s arguments). */
export const watcherCommand: PlainCommand = async (argv, outer) => {
  const { config, ctx: { system } } = configure(
    await parseCommandArgs(argv, ENGINE_OPTIONS, outer.system.env),
    outer,
  );
  const files = stateFiles(config.stateDir);
  const log = await Deno.open(files.watcherLog, { append: true, create: true, mode: 0o600 });
  const encoder = new TextEncoder();
  const ctx: CommandContext = {
    system,
    logger: new TextLogger((text) => {
      log.writeSync(encoder.encode(`${new Date(system.clock.now()).toISOString()} ${text}`));
    }, { clock: system.clock }),
  };
  try {
    const handed = bootstrapHandOff(system.env);
    const setup = await setUpBackend(config, ctx, files, handed ? { bootstrap: handed } : {});
    const watched = await watchUntilSignal(config, ctx, files, setup, WATCHER_COMMAND, {
      cacheKeyName: system.env[CACHE_KEY_HANDOFF_VARIABLE] ?? null,
      jobGroup: jobGroup(system.env[JOB_GROUP_HANDOFF_VARIABLE]),
    });
    try {
      await watched.session.drain({ timeoutMs: config.drainTimeoutMs });
      await watched.writeStatus();
      const summary = summarize(
        watched.session,
        watched.timeline,
        watched,
        setup.bootstrap,
        setup.backend?.transfer ?? null,
      );
      await writeWatcherReport(files, system.pid, summary);
      ctx.logger.info(`drained; ${summary.incremental} paths pushed incrementally`);
    } finally {
      await watched.close();
    }
    return DONE;
  } catch (error) {
    ctx.logger.info(`error: ${error instanceof Error ? error.message : error}`);
    throw error;
  } finally {
    log.close();
  }
};

/** The job's process group `start` handed over, or null. */
function jobGroup(text: string | undefined): number | null {
  const group = Number(text);
  return Number.isInteger(group) && group > 0 ? group : null;
}
