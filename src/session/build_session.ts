/**
 * A build under a streaming session (`exec` and `build`): take a state
 * directory, open the session, run the build in the foreground, then the one
 * finish path. The build always runs: when the machine stops caching (the
 * state directory cannot be used, the disk is full, the store cannot be
 * read), that is said in one line and the build runs uncached — unless
 * `--strict`. From the moment the build ends, nothing but `--strict` may
 * change its status.
 *
 * @module
 */

import { PathTimeline } from "../engine/path_timeline.ts";
import type { ReportStartup } from "../report/report.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { ensurePrivateDir, type StateFiles, stateFiles } from "../state/state_dir.ts";
import { signalNumber } from "../system/system.ts";
import { storeQueries } from "../store/store_queries.ts";
import { backendAtEnd, setUpBackend } from "./backend_setup.ts";
import type { CommandContext } from "./context.ts";
import { ownsOption, reconcileFilter, setUpAttribution } from "./attribution_setup.ts";
import { EndDeadline } from "./end_deadline.ts";
import { finishSession } from "./finish_session.ts";
import { FELL_BEHIND, yieldCpu } from "./cpu_priority.ts";
import { forgetSecrets } from "./job_cleanup.ts";
import { openSession } from "./open_session.ts";
import { markSessionEnded } from "./session_record.ts";
import { lockSession, type SessionLock } from "./session_lock.ts";

/** How a build under a session ended. */
export interface BuildSessionResult {
  /** The build's own status (127: not found, 126: could not start, 128+N: signal N). */
  readonly status: number;
  /** Everything that should be in the cache is. */
  readonly complete: boolean;
}

/** Streams while `command` runs; see the module documentation. */
export async function runBuildSession(
  config: EngineConfig,
  command: readonly string[],
  ctx: CommandContext,
  name: "exec" | "build",
  built: { readonly installables: readonly string[]; readonly nixFlags?: readonly string[] } = {
    installables: config.installables,
  },
): Promise<BuildSessionResult> {
  const { system, logger } = ctx;
  let taken: { files: StateFiles; lock: SessionLock };
  try {
    taken = await takeStateDir(config, ctx, name);
  } catch (error) {
    if (!(error instanceof EnvironmentError) || config.strict) throw error;
    return { status: await runUncached(ctx, command, error), complete: false };
  }
  const { files, lock } = taken;
  try {
    let setup, opened;
    try {
      setup = await setUpBackend(config, ctx, files, { pull: true });
      const pull = setup.pull;
      const group = await system.processGroup("self");
      opened = await openSession(config, ctx, files, setup.backend, new PathTimeline(), {
        cacheKeyName: pull.keyName,
        pushOff: setup.bootstrap?.mode === "off",
        attribution: () =>
          setUpAttribution(config, ctx, files, {
            command: name,
            installables: built.installables,
            ...(built.nixFlags ? { nixFlags: built.nixFlags } : {}),
            ...(pull.store !== undefined ? { store: pull.store } : {}),
            group,
            nixEnv: pull.env,
          }),
      });
    } catch (error) {
      if (!(error instanceof EnvironmentError) || config.strict) throw error;
      return { status: await runUncached(ctx, command, error), complete: false };
    }

    let startup: ReportStartup | undefined;
    const status = await runBuild(ctx, command, setup.pull.env, () => {
      startup = {
        helperStartedAt: system.startedAt,
        buildStartedAt: system.clock.now(),
        cpuSeconds: system.resources().cpuSeconds,
      };
      const cpu = yieldCpu(ctx, config.nice);
      if (cpu !== null) opened.session.whenBehind(() => cpu.resume(FELL_BEHIND));
    });
    try {
      const finished = await finishSession(ctx, {
        command: name,
        config,
        ledger: opened.ledger,
        timeline: opened.timeline,
        streamed: {
          kind: "live",
          session: opened.session,
          start: opened,
          bootstrap: setup.bootstrap,
        },
        backend: backendAtEnd(setup, config, ctx, files),
        outLinkDir: system.cwd,
        exitCode: status,
        buildEndedAt: system.clock.now(),
        ...(startup ? { startup } : {}),
        cacheKeyName: setup.pull.keyName,
        ...ownsOption(
          reconcileFilter(
            opened.attributionMode,
            opened.owned,
            storeQueries(system, { storeDir: config.storeDir, env: system.env }).derivers,
            opened.attribution,
          ),
        ),
        // The end of the run starts now, with the build's end.
        deadline: new EndDeadline(config.endBudget, system.clock),
      });
      // The after_script safety net (`push`) finds this and says so instead of a second report.
      await markSessionEnded(files.session, {
        at: system.clock.now(),
        pushed: finished.report?.pushed ?? 0,
      }).catch((error) =>
        logger.warn(`cannot mark the session as ended (${error.message}); push will report again`)
      );
      return { status, complete: finished.complete };
    } catch (error) {
      logger.warn(
        `pushing to the cache failed: ${error instanceof Error ? error.message : error}; ` +
          "the build's status is kept",
      );
      return { status, complete: false };
    }
  } finally {
    await forgetSecrets(ctx, files);
    await lock.release();
  }
}

/**
 * A private state directory this session owns. Another live session in the
 * default directory (two builds of one user outside GitLab): this one gets a
 * directory of its own and says so. In a directory the user named: refused,
 * naming the session that holds it.
 */
async function takeStateDir(
  config: EngineConfig,
  ctx: CommandContext,
  name: string,
): Promise<{ files: StateFiles; lock: SessionLock }> {
  const { system, logger } = ctx;
  let files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  let attempt = await lockOrFault(ctx, files, name);
  if (attempt.held) return { files, lock: attempt.lock };
  const holder = attempt.holder;
  if (!config.stateDirIsDefault) {
    throw new ConfigError(
      "--state-dir",
      `another attic-ci session (${holder.command}, pid ${holder.pid}) uses ${files.dir}`,
      "wait for it to end, or give this one another --state-dir",
    );
  }
  files = stateFiles(`${config.stateDir}/${name}-${system.pid}`);
  await ensurePrivateDir(files.dir);
  attempt = await lockOrFault(ctx, files, name);
  if (!attempt.held) throw new Error(`${files.dir} is taken by pid ${attempt.holder.pid}`);
  logger.info(
    `another attic-ci session (${holder.command}, pid ${holder.pid}) uses ${config.stateDir}; ` +
      `this one keeps its state in ${files.dir}`,
  );
  return { files, lock: attempt.lock };
}

async function lockOrFault(ctx: CommandContext, files: StateFiles, name: string) {
  try {
    return await lockSession(ctx.system, files, name);
  } catch (error) {
    if (error instanceof ConfigError) throw error; // a foreign lock file: the user removes it
    throw new EnvironmentError(
      `cannot lock ${files.lock}: ${error instanceof Error ? error.message : error}`,
      "free space there, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
      { cause: error },
    );
  }
}

/** The build, as if attic-ci were not there, after saying why caching is off. */
async function runUncached(
  ctx: CommandContext,
  command: readonly string[],
  error: EnvironmentError,
): Promise<number> {
  ctx.logger.info(`error: ${error.message}`);
  ctx.logger.warn("caching is off: the build runs as if attic-ci were not there (--strict fails)");
  return await runBuild(ctx, command);
}

/**
 * Runs the build in the foreground and returns its status: 127 when it does
 * not exist, 126 when it cannot start, and 128+N when we were told to stop
 * with signal N, passed it on, and the build did not succeed — a build that
 * turns SIGTERM into an error of its own (as nix-build does) was still
 * stopped by it, and a GitLab cancel reads as one.
 */
async function runBuild(
  ctx: CommandContext,
  command: readonly string[],
  env: Readonly<Record<string, string>> = {},
  started?: () => void,
): Promise<number> {
  try {
    const { status, forwarded } = await ctx.system.runInForeground(command, {
      env,
      ...(started ? { started } : {}),
    });
    return forwarded !== null && status !== 0 ? 128 + signalNumber(forwarded) : status;
  } catch (error) {
    ctx.logger.warn(
      `cannot start ${command[0]}: ${error instanceof Error ? error.message : error}`,
    );
    return error instanceof Deno.errors.NotFound ? 127 : 126;
  }
}
