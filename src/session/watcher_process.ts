/**
 * The detached watcher as a process: started by `start` (fully detached, so a
 * GitLab job never waits for it), found again by its pidfile (a recycled pid
 * is never mistaken for it), stopped by `stop` and `push` (SIGTERM, a wait for
 * its drain with progress lines, SIGKILL past the deadline).
 *
 * @module
 */

import { z } from "zod";
import { BOOTSTRAP_MODES, type BootstrapResult } from "../attic/bootstrap.ts";
import { ConfigError, StateFileError } from "../errors.ts";
import type { SessionSummary } from "../report/session_summary.ts";
import { readOptional, type StateFiles, writePrivateFile } from "../state/state_dir.ts";
import { parseStateText } from "../state/state_file.ts";
import { delay } from "../system/clock.ts";
import type { System } from "../system/system.ts";
import type { CommandContext } from "./context.ts";
import { isAtticCiProcess } from "./session_lock.ts";
import { readStatus } from "./watcher_status.ts";
import { readWatcherReport } from "./watcher_report.ts";

/** The internal command the detached watcher runs. */
export const WATCHER_COMMAND = "__watch";

/** The variable through which `start` hands its bootstrap result to the detached watcher. */
export const BOOTSTRAP_HANDOFF_VARIABLE = "ATTIC_CI_INTERNAL_BOOTSTRAP";

/** The variable through which `start` hands the name of the cache's signing key to the watcher. */
export const CACHE_KEY_HANDOFF_VARIABLE = "ATTIC_CI_INTERNAL_CACHE_KEY";

/**
 * The variable through which `start` hands the job's process group to the
 * detached watcher, whose own group is not the job's: the job's Nix
 * processes' locks are its paths.
 */
export const JOB_GROUP_HANDOFF_VARIABLE = "ATTIC_CI_INTERNAL_JOB_GROUP";

/** The schema identifier of the bootstrap hand-off. */
export const BOOTSTRAP_HANDOFF_SCHEMA = "attic-ci/bootstrap@1";

const BootstrapHandOffSchema = z.object({
  schema: z.literal(BOOTSTRAP_HANDOFF_SCHEMA),
  mode: z.enum(BOOTSTRAP_MODES),
  client: z.string().nullable(),
  reason: z.string(),
  seconds: z.number(),
});

/** How long `start` waits for the watcher to report that it watches. */
const READY_TIMEOUT_MS = 30_000;

/** How often waits look at the watcher again. */
const POLL_MS = 50;

/** The bootstrap `start` handed over, or null when it handed none. Throws StateFileError. */
export function bootstrapHandOff(env: Readonly<Record<string, string | undefined>>) {
  const text = env[BOOTSTRAP_HANDOFF_VARIABLE];
  if (text === undefined) return null;
  const { schema: _, ...bootstrap } = parseStateText(
    text,
    BootstrapHandOffSchema,
    BOOTSTRAP_HANDOFF_SCHEMA,
    `the variable ${BOOTSTRAP_HANDOFF_VARIABLE}`,
  );
  return bootstrap satisfies BootstrapResult;
}

/** The pid in the pidfile, or null. */
export async function readPid(files: StateFiles): Promise<number | null> {
  const text = await readOptional(files.pidfile);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Whether `pid` is a live attic-ci watcher (`watch`, or the detached one). */
export function isWatcherAlive(system: System, pid: number): Promise<boolean> {
  return isAtticCiProcess(system, pid, ["watch", WATCHER_COMMAND]);
}

/** The pid of a live watcher using this state directory, or null. */
export async function liveWatcher(system: System, files: StateFiles): Promise<number | null> {
  const pid = await readPid(files);
  return pid !== null && (await isWatcherAlive(system, pid)) ? pid : null;
}

/** Refuses to start a second watcher on one state directory (they would share a ledger). */
export async function refuseSecondWatcher(system: System, files: StateFiles): Promise<void> {
  const pid = await liveWatcher(system, files);
  if (pid !== null) {
    throw new ConfigError(
      "--state-dir",
      `a watcher (pid ${pid}) already runs with ${files.dir}`,
      "stop it with attic-ci stop, or give this one another --state-dir",
    );
  }
}

/** Writes our pid as the state directory's watcher. */
export async function claimPidfile(system: System, files: StateFiles): Promise<void> {
  await writePrivateFile(files.pidfile, `${system.pid}\n`);
}

/**
 * Starts the detached watcher (`__watch` with the same arguments) and waits
 * until it reports that it watches. Returns its pid, or null when it did not
 * start (its log's last lines are in the warning).
 */
export async function startWatcher(
  ctx: CommandContext,
  files: StateFiles,
  argv: readonly string[],
  bootstrap: BootstrapResult | null,
  cacheKeyName: string | null = null,
  jobGroup: number | null = null,
): Promise<number | null> {
  const { system, logger } = ctx;
  for (const stale of [files.status, files.watcherReport, files.pidfile]) {
    await Deno.remove(stale).catch(() => {});
  }
  const env: Record<string, string> = { ATTIC_CI_STATE_DIR: files.dir };
  if (cacheKeyName !== null) env[CACHE_KEY_HANDOFF_VARIABLE] = cacheKeyName;
  if (jobGroup !== null) env[JOB_GROUP_HANDOFF_VARIABLE] = String(jobGroup);
  if (bootstrap) {
    env[BOOTSTRAP_HANDOFF_VARIABLE] = JSON.stringify({
      schema: BOOTSTRAP_HANDOFF_SCHEMA,
      ...bootstrap,
    });
  }
  // The system hides the token variable: the watcher needs none (the attic config is written).
  const child = system.spawnDetached([...system.selfCommand, WATCHER_COMMAND, ...argv], { env });
  let exited = false;
  child.exited.then(() => exited = true);

  const deadline = system.clock.now() + READY_TIMEOUT_MS;
  while (system.clock.now() < deadline) {
    const status = await readStatus(files);
    if (status?.pid === child.pid && status.state === "watching") return child.pid;
    if (exited) break;
    await delay(POLL_MS, undefined, system.clock);
  }
  const log = (await readOptional(files.watcherLog) ?? "").trim().split("\n").slice(-5);
  logger.warn(
    `the watcher did not start${exited ? " (it exited)" : ""}; its log says:\n  ${
      log.join("\n  ")
    }`,
  );
  return null;
}

/** What stopping the watcher found. */
export interface StoppedWatcher {
  /** A watcher was running when we came. */
  readonly wasRunning: boolean;
  /** Its summary after the drain; null when there was none or it died first. */
  readonly summary: SessionSummary | null;
}

/**
 * Stops the watcher of this state directory, if one runs, and reads the
 * summary it wrote after draining. `quiet`: say nothing when none runs (the
 * after_script `push` on a Docker executor, where that is expected).
 */
export async function stopWatcher(
  ctx: CommandContext,
  files: StateFiles,
  options: { timeoutMs: number; quiet: boolean },
): Promise<StoppedWatcher> {
  const { system, logger } = ctx;
  const clock = system.clock;
  const pid = await readPid(files);
  if (pid === null || !(await isWatcherAlive(system, pid))) {
    const why = pid === null
      ? `no watcher is running (no pidfile in ${files.dir})`
      : `no watcher is running (pid ${pid} is gone: it was killed or crashed)`;
    if (!options.quiet) logger.info(`${why}; running the final push from the recorded state`);
    return { wasRunning: false, summary: pid === null ? null : await summaryOf(ctx, files, pid) };
  }
  logger.info(`stopping the watcher (pid ${pid}) and waiting for its drain`);
  system.kill(pid, "SIGTERM");
  const startedAt = clock.now();
  let lastProgress = 0;
  let statusUnreadable = false;
  while (clock.now() - startedAt < options.timeoutMs && (await isWatcherAlive(system, pid))) {
    if (clock.now() - lastProgress >= 2_000) {
      try {
        const status = await readStatus(files);
        if (status?.state === "draining" && status.pushing + status.queued > 0) {
          logger.info(`draining: ${status.pushing} pushing, ${status.queued} queued`);
        }
      } catch (error) {
        // Stopping the watcher comes first; the problem is said once.
        if (!statusUnreadable && error instanceof StateFileError) logger.warn(error.message);
        statusUnreadable = true;
      }
      lastProgress = clock.now();
    }
    await delay(POLL_MS, undefined, clock);
  }
  if (await isWatcherAlive(system, pid)) {
    logger.warn(
      `the watcher did not finish draining within ${options.timeoutMs / 1000} s; killing it ` +
        "(the final push reconciles what it left)",
    );
    system.kill(pid, "SIGKILL");
  }
  await Deno.remove(files.pidfile).catch(() => {});
  return { wasRunning: true, summary: await summaryOf(ctx, files, pid) };
}

/** The watcher's summary; an unreadable one is said, and the ledger stands in for it. */
async function summaryOf(
  ctx: CommandContext,
  files: StateFiles,
  pid: number,
): Promise<SessionSummary | null> {
  try {
    return await readWatcherReport(files, pid);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    ctx.logger.warn(`${error.message}; the final push goes by the ledger instead`);
    return null;
  }
}
