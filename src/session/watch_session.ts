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
import { setUpAttribution } from "./attribution_setup.ts";
import type { CommandContext } from "./context.ts";
import { type OpenSession, openSession } from "./open_session.ts";
import { FELL_BEHIND, yieldCpu } from "./cpu_priority.ts";
import { lockHolder, lockSessionOrRefuse, type SessionLock } from "./session_lock.ts";
import { claimPidfile, refuseSecondWatcher } from "./watcher_process.ts";
import { StatusWriter } from "./watcher_status.ts";

/** A watcher's session, stopped by a signal and not drained yet. */
export interface StoppedSession extends OpenSession {
  /** Writes the status now (after the drain). */
  readonly writeStatus: () => Promise<void>;
  /** Stops the status writes and gives the state directory up. */
  readonly close: () => Promise<void>;
}

/** A watcher about to start: its state directory (ours, and no other watcher's) and backend. */
export interface PreparedWatcher {
  readonly files: StateFiles;
  readonly setup: BackendSetup;
}

/**
 * Before a watcher (`start`'s or `watch`'s) starts: a private state
 * directory, no other watcher on it, and the backend set up (with the pull
 * side for `start`, whose job's own script runs Nix next).
 */
export async function prepareWatcher(
  config: EngineConfig,
  ctx: CommandContext,
  options: { readonly pull?: boolean } = {},
): Promise<PreparedWatcher> {
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  await refuseSecondWatcher(ctx.system, files);
  await refuseLiveSession(ctx, files);
  // `watch` only pushes: without a token it has nothing to do. `start`'s job also pulls and counts.
  const pull = options.pull ?? false;
  return { files, setup: await setUpBackend(config, ctx, files, { pull, requireToken: !pull }) };
}

/** Refuses a directory that a live session (an `exec`, say) holds; its watcher would disturb it. */
async function refuseLiveSession(ctx: CommandContext, files: StateFiles): Promise<void> {
  const holder = await lockHolder(files);
  if (holder === null) return;
  // The attempt tells a live holder from a stale one; the watcher takes the lock itself.
  const lock = await lockSessionOrRefuse(ctx.system, files, "start");
  await lock.release();
}

/** Streams until SIGINT or SIGTERM; see the module documentation. */
export async function watchUntilSignal(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  setup: BackendSetup,
  /** The command word this process runs with (`watch`, or the detached watcher's). */
  command: string,
  options: {
    readonly cacheKeyName?: string | null;
    /** The job's process group (the detached watcher's is not the job's); null: not known. */
    readonly jobGroup?: number | null;
  } = {},
): Promise<StoppedSession> {
  const { system, logger } = ctx;
  // Listen first: a signal that arrives while the session opens is not lost.
  const stop = system.waitForSignal(["SIGINT", "SIGTERM"]);
  let lock: SessionLock;
  try {
    lock = await lockSessionOrRefuse(system, files, command);
  } catch (error) {
    stop.dispose();
    throw error;
  }
  await claimPidfile(system, files);
  // The build runs elsewhere (the job's script, another shell): this process may yield from now.
  const cpu = yieldCpu(ctx, config.nice);
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
      {
        attribution: () =>
          setUpAttribution(config, ctx, files, {
            command: command === "watch" ? "watch" : "start",
            installables: config.installables,
            group: options.jobGroup ?? null,
          }),
        onChange: (s) => status.update(s),
        cacheKeyName: options.cacheKeyName ?? null,
        pushOff: setup.bootstrap?.mode === "off",
      },
    );
    if (cpu !== null) opened.session.whenBehind(() => cpu.resume(FELL_BEHIND));
    await status.write(opened.session);
    logger.info(`watching; stop with SIGINT or SIGTERM (pid ${system.pid})`);
    logger.info(`${await stop.received} received: draining`);
    return {
      ...opened,
      writeStatus: () => status.write(opened.session),
      close: async () => {
        await status.close();
        await lock.release();
      },
    };
  } catch (error) {
    stop.dispose();
    await status.close();
    await lock.release();
    throw error;
  }
}
