/**
 * Opening a streaming session: open the store watch, start listing the
 * baseline, start a fresh ledger, write `session.json` (so a later `stop`
 * or `push` knows the options), and start streaming.
 *
 * @module
 */

import type { PushBackend } from "../backends/push_backend.ts";
import type { PathTimeline } from "../engine/path_timeline.ts";
import type { PushSchedulerOptions } from "../engine/push_scheduler.ts";
import { StreamingSession } from "../engine/streaming_session.ts";
import { EnvironmentError } from "../errors.ts";
import { type EngineConfig, savedOptions } from "../options/engine_config.ts";
import { Ledger } from "../state/ledger.ts";
import type { OwnedPaths } from "../state/owned_paths.ts";
import { reason, type StateFiles } from "../state/state_dir.ts";
import { PathFilter } from "../store/path_filter.ts";
import type { Attribution } from "../engine/attribution.ts";
import { StoreBaseline } from "../store/store_baseline.ts";
import { storeQueries } from "../store/store_queries.ts";
import type { AttributionSetup } from "./attribution_setup.ts";
import type { CommandContext } from "./context.ts";
import { writeSessionRecord } from "./session_record.ts";

/** A running session and what it needs to finish. */
export interface OpenSession {
  readonly session: StreamingSession;
  readonly ledger: Ledger;
  readonly timeline: PathTimeline;
  readonly startedAt: number;
  /** How the session tells its paths (`all` without an attribution). */
  readonly attributionMode: string;
  /** Where this job's paths are recorded, or null. */
  readonly owned: OwnedPaths | null;
  /**
   * The session's attribution, or null: what it learnt while streaming also
   * tells the final push of a path the stream never decided (its events
   * were lost).
   */
  readonly attribution: Pick<Attribution, "decide"> | null;
}

/** Options of {@linkcode openSession}. */
export interface OpenSessionOptions {
  /** Called as the session works (the watcher's status file). */
  readonly onChange?: (session: StreamingSession) => void;
  /** The name of the cache's signing key, recorded for the report of whoever ends the session. */
  readonly cacheKeyName?: string | null;
  /** Pushing is off (no token): the session only records, for the report. */
  readonly pushOff?: boolean;
  /**
   * How the session tells this job's paths, set up once the store is known to
   * be there (a missing store is the one line then). @default every path
   */
  readonly attribution?: () => Promise<AttributionSetup>;
}

/**
 * Opens the store watch, starts a fresh ledger and starts streaming — in
 * milliseconds, whatever the store's size: the baseline is listed in the
 * background (store/store_baseline.ts), so the build starts at once.
 */
export async function openSession(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  backend: PushBackend | null,
  timeline: PathTimeline,
  options: OpenSessionOptions = {},
): Promise<OpenSession> {
  const { onChange } = options;
  const { system, logger } = ctx;
  const startedAt = system.clock.now();
  await ensureStore(config.storeDir, ctx);
  const attribution = await options.attribution?.();
  let watcher;
  try {
    // Open before the listing starts: whatever appears from now on is named by an event.
    watcher = system.watchStore(config.storeDir);
  } catch (error) {
    attribution?.attribution.close();
    throw unreadableStore(config.storeDir, error);
  }
  const baseline = StoreBaseline.list(config.storeDir, system.clock);
  let ledger: Ledger;
  try {
    ledger = await Ledger.begin(files, baseline.names());
    const written = ledger;
    baseline.onChange(() => written.rewriteBaseline());
    await writeSessionRecord(files.session, {
      startedAt,
      pid: system.pid,
      options: savedOptions(config),
      ...(options.cacheKeyName ? { cacheKeyName: options.cacheKeyName } : {}),
      attribution: attribution?.attribution.mode ?? "all",
    });
  } catch (error) {
    watcher.close();
    attribution?.attribution.close();
    if (error instanceof EnvironmentError) throw error;
    throw new EnvironmentError(
      `cannot record the session in ${files.dir}: ${reason(error)}`,
      "free space there, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
      { cause: error },
    );
  }
  const session = new StreamingSession({
    watcher,
    ...(attribution ? { attribution: attribution.attribution, owned: attribution.owned } : {}),
    checker: storeQueries(system, { storeDir: config.storeDir, env: system.env }).checker,
    backend,
    ledger,
    timeline,
    logger,
    clock: system.clock,
  }, {
    storeDir: config.storeDir,
    baseline,
    filter: pathFilter(config),
    batch: {
      idleMs: config.batchIdleMs,
      maxWaitMs: config.batchMaxWaitMs,
      maxSize: config.batchMaxSize,
    },
    push: pushOptions(config),
    ...(onChange ? { onChange } : {}),
  });
  if (options.pushOff) {
    logger.info(`watching ${config.storeDir} for the report only`);
  } else {
    if (backend === null) logger.info("deferred mode: recording paths now, pushing them at stop");
    logger.info(
      `streaming finished paths of ${config.storeDir} to ${
        backend?.target ?? "nowhere yet (deferred)"
      }`,
    );
  }
  return {
    session,
    ledger,
    timeline,
    startedAt,
    attributionMode: attribution?.attribution.mode ?? "all",
    owned: attribution?.owned ?? null,
    attribution: attribution?.attribution ?? null,
  };
}

/** The path filter of a configuration. */
export function pathFilter(config: EngineConfig): PathFilter {
  return new PathFilter({ exclude: config.exclude });
}

/** The retry and concurrency settings of a configuration. */
export function pushOptions(
  config: EngineConfig,
): Pick<PushSchedulerOptions, "concurrency" | "retries" | "retryDelayMs"> {
  return {
    concurrency: config.pushJobs,
    retries: config.retries,
    retryDelayMs: config.retryDelayMs,
  };
}

/**
 * The store is there to watch. One that does not exist yet (a fresh machine:
 * Debian's Nix creates it when a first command opens it) is created with
 * `nix-store --init`, so its first build streams like any other.
 */
async function ensureStore(storeDir: string, ctx: CommandContext): Promise<void> {
  try {
    await Deno.stat(storeDir);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw unreadableStore(storeDir, error);
    const init = await ctx.system.run("nix-store", { args: ["--init"] }).catch(() => null);
    try {
      if (init?.code !== 0) throw error;
      await Deno.stat(storeDir);
      ctx.logger.info(`${storeDir} did not exist yet: Nix created it (nix-store --init)`);
    } catch (again) {
      throw unreadableStore(storeDir, again);
    }
  }
}

function unreadableStore(storeDir: string, error: unknown): EnvironmentError {
  return new EnvironmentError(
    `cannot read the Nix store ${storeDir}: ${reason(error)}`,
    "is Nix installed? point --store-dir (ATTIC_CI_STORE_DIR) at the Nix store",
    { cause: error },
  );
}
