/**
 * Setting up the backend a session pushes with. For `nix-copy`, nothing to
 * fetch. For `attic`: read the token (a missing one is a configuration
 * error), write the private config, bootstrap the client (substitution only)
 * and say in the log which way was taken; without a client, deferred mode.
 *
 * @module
 */

import { writeAtticConfig } from "../attic/attic_config.ts";
import { bootstrapAtticClient, type BootstrapResult } from "../attic/bootstrap.ts";
import { readToken } from "../attic/token.ts";
import { AtticBackend } from "../backends/attic_backend.ts";
import { nixCopyBackend } from "../backends/nix_copy_backend.ts";
import type { PushBackend } from "../backends/push_backend.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { EnvironmentError } from "../errors.ts";
import { reason, type StateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";

/** A backend ready to push, or null in deferred mode, and how it was obtained. */
export interface BackendSetup {
  readonly backend: PushBackend | null;
  readonly bootstrap: BootstrapResult | null;
}

/** Options of {@linkcode setUpBackend}. */
export interface BackendSetupOptions {
  /** A bootstrap already done (by `start`, for its detached watcher): use its client. */
  readonly bootstrap?: BootstrapResult;
}

/** Prepares the configured backend. */
export async function setUpBackend(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  options: BackendSetupOptions = {},
): Promise<BackendSetup> {
  const { system, logger } = ctx;
  if (config.backend === "nix-copy") {
    return {
      backend: nixCopyBackend(system, { to: config.to!, timeoutMs: config.pushTimeoutMs }),
      bootstrap: null,
    };
  }
  let bootstrap = options.bootstrap;
  if (bootstrap === undefined) {
    // Read the token first: a missing token is a configuration error (exit 2).
    const token = await readToken(config.tokenVariable, system.env);
    try {
      await writeAtticConfig(files, config.server!, token);
    } catch (error) {
      throw new EnvironmentError(
        `cannot write the attic configuration in ${files.dir}: ${reason(error)}`,
        "free space there, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
        { cause: error },
      );
    }
    logger.sectionStart("bootstrap", "fetching the attic client (substitution only)");
    bootstrap = await bootstrapAtticClient(system, {
      installable: config.bootstrapInstallable,
      outLink: files.atticClientLink,
      timeoutMs: config.bootstrapTimeoutMs,
      path: system.env.PATH,
      clock: system.clock,
    });
    logger.sectionEnd("bootstrap");
    logger.info(
      bootstrap.client === null
        ? `bootstrap: deferred mode: ${bootstrap.reason}`
        : `bootstrap: attic client ${bootstrap.client}: ${bootstrap.reason}`,
    );
  }
  if (bootstrap.client === null) return { backend: null, bootstrap };
  return {
    backend: new AtticBackend(system, {
      client: bootstrap.client,
      cache: config.cache!,
      server: config.server!,
      configHome: files.atticConfigHome,
      jobs: config.atticJobs,
      timeoutMs: config.pushTimeoutMs,
    }),
    bootstrap,
  };
}

/**
 * Deferred mode at the end: the build may have produced the client by now,
 * so the bootstrap is tried again. Returns the backend, or null with a warning.
 */
export async function retryDeferredBootstrap(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
): Promise<PushBackend | null> {
  ctx.logger.info("deferred mode: trying the attic client bootstrap again");
  const setup = await setUpBackend(config, ctx, files);
  if (setup.backend === null) {
    ctx.logger.warn(
      "still no attic client: the recorded paths stay unpushed; " +
        "`attic-ci push` with a client available pushes them later",
    );
  }
  return setup.backend;
}

/**
 * The backend at the end of a live session: the one set up at its start, or,
 * in deferred mode, a second try of the bootstrap (the build may have
 * produced the client by now).
 */
export function backendAtEnd(
  setup: BackendSetup,
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
): () => Promise<PushBackend | null> {
  return async () => {
    if (setup.backend !== null || config.backend !== "attic") return setup.backend;
    return await retryDeferredBootstrap(config, ctx, files);
  };
}
