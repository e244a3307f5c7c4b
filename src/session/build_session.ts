/**
 * A build under a streaming session (`exec` and `build`): open the session,
 * run the build in the foreground, then the one finish path. From the moment
 * the build ends, nothing but `--strict` may change its status.
 *
 * @module
 */

import { PathTimeline } from "../engine/path_timeline.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { ensurePrivateDir, stateFiles } from "../state/state_dir.ts";
import { backendAtEnd, setUpBackend } from "./backend_setup.ts";
import type { CommandContext } from "./context.ts";
import { finishSession } from "./finish_session.ts";
import { openSession } from "./open_session.ts";
import { markSessionEnded } from "./session_record.ts";

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
): Promise<BuildSessionResult> {
  const { system, logger } = ctx;
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  const setup = await setUpBackend(config, ctx, files);
  const opened = await openSession(config, ctx, files, setup.backend, new PathTimeline());

  let status: number;
  try {
    status = await system.runInForeground(command);
  } catch (error) {
    logger.warn(`cannot start ${command[0]}: ${error instanceof Error ? error.message : error}`);
    status = error instanceof Deno.errors.NotFound ? 127 : 126;
  }

  try {
    const finished = await finishSession(ctx, {
      command: name,
      config,
      ledger: opened.ledger,
      timeline: opened.timeline,
      streamed: {
        kind: "live",
        session: opened.session,
        startedAt: opened.startedAt,
        bootstrap: setup.bootstrap,
      },
      backend: backendAtEnd(setup, config, ctx, files),
      outLinkDir: system.cwd,
      exitCode: status,
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
}
