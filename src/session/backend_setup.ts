/**
 * Setting up the backend a session pushes with. For `nix-copy`, nothing to
 * fetch. For `attic`: read the token (a missing one is a configuration
 * error), write the private config, then by `--attic-client`: bootstrap the
 * CLI (substitution only) and say in the log which way was taken, without a
 * client deferred mode (cli) or the built-in client (auto); or the built-in
 * client straight away (api).
 *
 * @module
 */

import { writeAtticConfig } from "../attic/attic_config.ts";
import { bootstrapAtticClient, type BootstrapResult } from "../attic/bootstrap.ts";
import { AtticApi } from "../attic/attic_api.ts";
import { readToken, readTokenFile } from "../attic/token.ts";
import { AtticApiBackend } from "../backends/attic_api_backend.ts";
import { AtticBackend } from "../backends/attic_backend.ts";
import { nixCopyBackend } from "../backends/nix_copy_backend.ts";
import type { PushBackend } from "../backends/push_backend.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { EnvironmentError } from "../errors.ts";
import { storeQueries } from "../store/store_queries.ts";
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
  const { system } = ctx;
  if (config.backend === "nix-copy") {
    return {
      backend: nixCopyBackend(system, { to: config.to!, timeoutMs: config.pushTimeoutMs }),
      bootstrap: null,
    };
  }
  let bootstrap = options.bootstrap;
  let token: string;
  if (bootstrap === undefined) {
    // Read the token first: a missing token is a configuration error (exit 2).
    token = await readToken(config.tokenVariable, system.env);
    try {
      await writeAtticConfig(files, config.server!, token);
    } catch (error) {
      throw new EnvironmentError(
        `cannot write the attic configuration in ${files.dir}: ${reason(error)}`,
        "free space there, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
        { cause: error },
      );
    }
    bootstrap = await obtainClient(config, ctx, files);
  } else {
    // The detached watcher never sees the token variable: it reads the file `start` wrote.
    token = await readTokenFile(files.token);
  }
  if (bootstrap.mode === "built-in") {
    return { backend: builtInBackend(config, ctx, token), bootstrap };
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
 * How the session gets its client, by `--attic-client`: the built-in one
 * (api); the substitution-only bootstrap of the CLI (cli, auto); and, for
 * auto, the built-in client where the bootstrap found no CLI.
 */
async function obtainClient(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
): Promise<BootstrapResult> {
  const { system, logger } = ctx;
  if (config.atticClient === "api") {
    const bootstrap: BootstrapResult = {
      mode: "built-in",
      client: null,
      reason: "--attic-client api: the helper's own HTTP client pushes (no attic CLI needed)",
      seconds: 0,
    };
    logger.info(`attic client: built-in: ${bootstrap.reason}`);
    return bootstrap;
  }
  logger.sectionStart("bootstrap", "fetching the attic client (substitution only)");
  let bootstrap = await bootstrapAtticClient(system, {
    installable: config.bootstrapInstallable,
    outLink: files.atticClientLink,
    timeoutMs: config.bootstrapTimeoutMs,
    path: system.env.PATH,
    clock: system.clock,
  });
  logger.sectionEnd("bootstrap");
  if (bootstrap.client === null && config.atticClient === "auto") {
    bootstrap = {
      ...bootstrap,
      mode: "built-in",
      reason: `${bootstrap.reason}; --attic-client auto: the built-in client pushes instead`,
    };
  }
  logger.info(
    bootstrap.mode === "built-in"
      ? `bootstrap: built-in client: ${bootstrap.reason}`
      : bootstrap.client === null
      ? `bootstrap: deferred mode: ${bootstrap.reason}`
      : `bootstrap: attic client ${bootstrap.client}: ${bootstrap.reason}`,
  );
  return bootstrap;
}

/** The backend on the built-in client; its retries and a refusal go to the log. */
function builtInBackend(config: EngineConfig, ctx: CommandContext, token: string): PushBackend {
  const { system, logger } = ctx;
  const retries = config.retries;
  const api = new AtticApi(system, system, {
    server: config.server!,
    cache: config.cache!,
    token,
    tokenSource: config.tokenVariable,
    keepEndpoint: config.keepEndpoint,
    stallTimeoutMs: config.stallTimeoutMs,
    retries,
    retryDelayMs: config.retryDelayMs,
    clock: system.clock,
    onRetry: (_request, attempt, error) =>
      logger.info(`retry ${attempt} of ${retries}: ${error.message}`),
  });
  const { infos } = storeQueries(system, { storeDir: config.storeDir, env: system.env });
  return new AtticApiBackend(api, infos, {
    cache: config.cache!,
    server: config.server!,
    jobs: config.atticJobs,
    onRefused: (error) =>
      logger.warn(`the cache refuses every push, so nothing more is tried: ${error.message}`),
  });
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
