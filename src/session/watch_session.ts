/**
 * A watcher's session (foreground `watch`, and the detached watcher that
 * `start` launches): claim the pidfile, stream with a live status file until
 * SIGINT or SIGTERM arrives, and hand back the open session to be drained.
 *
 * @module
 */

import { PathTimeline } from "../engine/path_timeline.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { ensurePrivateDir, type StateFiles, stateFiles } from "../state/state_dir.ts";
import { type BackendSetup, setUpBackend } from "./backend_setup.ts";
import type { CommandContext } from "./context.ts";
import { type OpenSession, openSession } from "./open_session.ts";
import { claimPidfile, refuseSecondWatcher } from "./watcher_process.ts";
import { StatusWriter } from "./watcher_status.ts";

/** A watcher's session, stopped by a signal and not drained yet. */
export interface StoppedSession extends OpenSession {
  /** Writes the status now (after the drain). */
  readonly writeStatus: () => Promise<void>;
  /** Stops the status writes. */
  readonly close: () => Promise<void>;
}

/** A watcher about to start: its state directory (ours, and no other watcher's) and backend. */
export interface PreparedWatcher {
  readonly files: StateFiles;
  readonly setup: BackendSetup;
}

/**
 * Before a watcher (`start`'s or `watch`'s) starts: a private state
 * directory, no other watcher on it, and the backend set up.
 */
export async function prepareWatcher(
  config: EngineConfig,
  ctx: CommandContext,
): Promise<PreparedWatcher> {
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  await refuseSecondWatcher(ctx.system, files);
  return { files, setup: await setUpBackend(config, ctx, files) };
}

/** Streams until SIGINT or SIGTERM; see the module documentation. */
export async function watchUntilSignal(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  setup: BackendSetup,
): Promise<StoppedSession> {
  const { system, logger } = ctx;
  // Listen first: a signal that arrives while the session opens is not lost.
  const stop = system.waitForSignal(["SIGINT", "SIGTERM"]);
  await claimPidfile(system, files);
  const status = new StatusWriter(files, {
    pid: system.pid,
    backend: config.backend,
    target: setup.backend?.target ?? "deferred",
    startedAt: system.clock.now(),
  }, system.clock);
  try {
    const opened = await openSession(
      config,
      ctx,
      files,
      setup.backend,
      new PathTimeline(),
      (s) => status.update(s),
    );
    await status.write(opened.session);
    logger.info(`watching; stop with SIGINT or SIGTERM (pid ${system.pid})`);
    logger.info(`${await stop.received} received: draining`);
    return {
      ...opened,
      writeStatus: () => status.write(opened.session),
      close: () => status.close(),
    };
  } catch (error) {
    stop.dispose();
    await status.close();
    throw error;
  }
}
