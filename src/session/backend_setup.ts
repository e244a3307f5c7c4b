/**
 * Setting up the backend a session pushes with, and (when asked) the pull
 * side. For `nix-copy`, nothing to fetch. For `attic`: read the token (none:
 * pushing is off, said in one line, unless `--strict` makes it an error),
 * write the private config, then by `--attic-client`: an attic CLI on PATH,
 * else the built-in client, at once (auto); bootstrap the CLI (substitution
 * only, pulling from the cache, where the client may be) and say in the log
 * which way was taken, deferred mode without one (cli); or the built-in
 * client straight away (api).
 *
 * @module
 */

import { writeAtticConfig } from "../attic/attic_config.ts";
import { bootstrapAtticClient, type BootstrapResult, findOnPath } from "../attic/bootstrap.ts";
import { AtticApi } from "../attic/attic_api.ts";
import { NO_TOKEN, noTokenReason, readToken, readTokenFile } from "../attic/token.ts";
import { AtticApiBackend } from "../backends/attic_api_backend.ts";
import { AtticBackend } from "../backends/attic_backend.ts";
import { nixCopyBackend, storeUrlProblem } from "../backends/nix_copy_backend.ts";
import type { PushBackend } from "../backends/push_backend.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { ConfigError, EnvironmentError } from "../errors.ts";
import { storeQueries } from "../store/store_queries.ts";
import { reason, type StateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { heldLogger } from "../log/held_logger.ts";
import { NO_PULL, pullCacheConfigOptions, type PullSetup, setUpPull } from "./pull_setup.ts";

/** A backend ready to push, or null (deferred mode, pushing off), how it was obtained, and the pull side. */
export interface BackendSetup {
  readonly backend: PushBackend | null;
  readonly bootstrap: BootstrapResult | null;
  /** How the job's Nix pulls from the cache ({@linkcode NO_PULL} unless asked for). */
  readonly pull: PullSetup;
}

/** Options of {@linkcode setUpBackend}. */
export interface BackendSetupOptions {
  /** A bootstrap already done (by `start`, for its detached watcher): use its client. */
  readonly bootstrap?: BootstrapResult;
  /** Set up the pull side too: this command runs Nix now (exec, build, start). @default false */
  readonly pull?: boolean;
  /** Variables for the bootstrap's Nix when the pull side was set up earlier (a deferred retry). */
  readonly nixEnv?: Readonly<Record<string, string>>;
  /** The bootstrap's timeout, when less than `--bootstrap-timeout` is left. */
  readonly bootstrapTimeoutMs?: number;
  /** A missing token is an error, not "pushing is off" (`watch` does nothing else). @default false */
  readonly requireToken?: boolean;
  /**
   * Pushing being off needs no line of its own: the session's start said it,
   * and the report says it again (`stop`, `push`). @default false
   */
  readonly quietWhenOff?: boolean;
}

/** Prepares the configured backend (and the pull side, if asked). */
export async function setUpBackend(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  options: BackendSetupOptions = {},
): Promise<BackendSetup> {
  const { system } = ctx;
  if (config.backend === "nix-copy") {
    // In parallel; the pull side's lines wait, so a refused --to is the only line.
    const held = heldLogger(ctx.logger);
    const [problem, pull] = await Promise.all([
      storeUrlProblem(system, config.to!),
      options.pull
        ? setUpPull(config, { ...ctx, logger: held.logger }, files, { token: null, api: null })
        : NO_PULL,
    ]);
    if (problem !== null) {
      throw new ConfigError(
        "--to",
        `${problem}, so every push would fail`,
        "give a store URL it opens: file://, http(s)://, ssh-ng://, or s3:// where Nix was built " +
          "with S3 support",
      );
    }
    held.release();
    return {
      backend: nixCopyBackend(system, { to: config.to!, timeoutMs: config.pushTimeoutMs }),
      bootstrap: null,
      pull,
    };
  }
  let bootstrap = options.bootstrap;
  if (bootstrap?.mode === "off") return { backend: null, bootstrap, pull: NO_PULL };
  let token: string | null;
  let api: AtticApi;
  if (bootstrap === undefined) {
    token = await readToken(config.tokenVariable, system.env);
    api = atticApiOf(config, ctx, token);
    // A missing token that must not be missing ends the run here, before any request.
    if (token === null) {
      pushingOff(config, ctx, {
        required: options.requireToken ?? false,
        quiet: options.quietWhenOff ?? false,
      });
    }
    // The build waits for the cache's configuration (the pull side's substituter and key):
    // ask at once, while the files below are written. The pull side gets the same answer.
    if (options.pull && config.pull) {
      api.cacheConfig(pullCacheConfigOptions(config)).catch(() => {});
    }
    if (token !== null) await writeConfig(config, files, token);
  } else {
    // The detached watcher never sees the token variable: it reads the file `start` wrote.
    token = await readTokenFile(files.token);
    api = atticApiOf(config, ctx, token);
  }
  const pull = options.pull ? await setUpPull(config, ctx, files, { token, api }) : NO_PULL;
  if (token === null) {
    const off: BootstrapResult = {
      mode: "off",
      client: null,
      reason: noTokenReason(config.tokenVariable, system.env),
      seconds: 0,
    };
    return { backend: null, bootstrap: off, pull };
  }
  bootstrap ??= await obtainClient(
    config,
    ctx,
    files,
    options.pull ? pull.env : options.nixEnv,
    options.bootstrapTimeoutMs ?? config.bootstrapTimeoutMs,
  );
  if (bootstrap.mode === "built-in") {
    return {
      backend: builtInBackend(config, ctx, api, pull.refusal, pull.active ?? false),
      bootstrap,
      pull,
    };
  }
  if (bootstrap.client === null) return { backend: null, bootstrap, pull };
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
    pull,
  };
}

/**
 * No token: protected variables are absent in pipelines of unprotected
 * branches and of forks' merge requests, where the build must still run. One
 * loud line; under `--strict` a configuration error instead.
 */
function pushingOff(
  config: EngineConfig,
  ctx: CommandContext,
  { required, quiet }: { readonly required: boolean; readonly quiet: boolean },
): void {
  const variable = config.tokenVariable;
  const why = noTokenReason(variable, ctx.system.env);
  if (config.strict || required) {
    throw new ConfigError(
      `--token-variable (${variable})`,
      `${why}, and ${
        required ? "a watcher does nothing but push" : "--strict needs every path pushed"
      }`,
      NO_TOKEN.fix(variable),
    );
  }
  if (quiet) return;
  ctx.logger.warn(
    `pushing is off: ${why} (${NO_TOKEN.why}); nothing is pushed, and the build and its pulls ` +
      `from the cache are unaffected (--strict fails instead)`,
  );
}

/** Writes the token file and the attic configuration; a disk that refuses stops caching. */
async function writeConfig(config: EngineConfig, files: StateFiles, token: string): Promise<void> {
  try {
    await writeAtticConfig(files, config.server!, token);
  } catch (error) {
    throw new EnvironmentError(
      `cannot write the attic configuration in ${files.dir}: ${reason(error)}`,
      "free space there, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
      { cause: error },
    );
  }
}

/**
 * How the session gets its client, by `--attic-client`: the built-in one
 * (api); a CLI on PATH, else the built-in one (auto); the substitution-only
 * bootstrap of the CLI (cli).
 */
async function obtainClient(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  nixEnv: Readonly<Record<string, string>> | undefined,
  timeoutMs: number,
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
  if (config.atticClient === "auto") return autoClient(ctx);
  logger.sectionStart("bootstrap", "fetching the attic client (substitution only)");
  const bootstrap = await bootstrapAtticClient(system, {
    installable: config.bootstrapInstallable,
    outLink: files.atticClientLink,
    timeoutMs: Math.max(1, timeoutMs),
    path: system.env.PATH,
    clock: system.clock,
    ...(nixEnv ? { env: nixEnv } : {}),
  });
  logger.sectionEnd("bootstrap");
  logger.info(
    bootstrap.client === null
      ? `bootstrap: deferred mode: ${bootstrap.reason}`
      : `bootstrap: attic client ${bootstrap.client}: ${bootstrap.reason}`,
  );
  return bootstrap;
}

/**
 * `auto`: an attic CLI the job put on PATH, else the built-in client — at
 * once. Nothing is fetched before the build: the substitution-only
 * bootstrap evaluates the user's flake first (a second or more before every
 * build), and the built-in client costs the build less than the CLI does
 * (docs/benchmarks.md), so only `cli` fetches the CLI.
 */
async function autoClient(ctx: CommandContext): Promise<BootstrapResult> {
  const onPath = await findOnPath("attic", ctx.system.env.PATH);
  const bootstrap: BootstrapResult = onPath === null
    ? {
      mode: "built-in",
      client: null,
      reason: "--attic-client auto: no attic on PATH, the built-in client pushes " +
        "(--attic-client cli fetches the attic CLI instead)",
      seconds: 0,
    }
    : {
      mode: "path",
      client: onPath,
      reason: `--attic-client auto: ${onPath} from PATH`,
      seconds: 0,
    };
  ctx.logger.info(
    onPath === null
      ? `attic client: built-in: ${bootstrap.reason}`
      : `attic client ${onPath}: ${bootstrap.reason}`,
  );
  return bootstrap;
}

/**
 * The built-in client of the configured cache (its cache-config also serves
 * the pull side); its retries go to the log.
 */
export function atticApiOf(
  config: EngineConfig,
  ctx: CommandContext,
  token: string | null,
): AtticApi {
  const { system, logger } = ctx;
  return new AtticApi(system, system, {
    server: config.server!,
    cache: config.cache!,
    token,
    tokenSource: config.tokenVariable,
    keepEndpoint: config.keepEndpoint,
    stallTimeoutMs: config.stallTimeoutMs,
    retries: config.retries,
    retryDelayMs: config.retryDelayMs,
    clock: system.clock,
    onRetry: (_request, attempt, error, retries) =>
      logger.info(`retry ${attempt} of ${retries}: ${error.message}`),
  });
}

/**
 * The backend on the built-in client; a refusal goes to the log, unless the
 * pull side said the same already (`said`).
 */
function builtInBackend(
  config: EngineConfig,
  ctx: CommandContext,
  api: AtticApi,
  said: string | null,
  pulling: boolean,
): PushBackend {
  const { system, logger } = ctx;
  const { infos } = storeQueries(system, { storeDir: config.storeDir, env: system.env });
  return new AtticApiBackend(api, infos, {
    cache: config.cache!,
    server: config.server!,
    jobs: config.atticJobs,
    builtHereIsMissing: pulling,
    onRefused: (error) => {
      if (error.message === said) return;
      logger.warn(`the cache refuses every push, so nothing more is tried: ${error.message}`);
    },
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
  nixEnv?: Readonly<Record<string, string>>,
): Promise<PushBackend | null> {
  ctx.logger.info("deferred mode: trying the attic client bootstrap again");
  const setup = await setUpBackend(config, ctx, files, nixEnv ? { nixEnv } : {});
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
    if (setup.bootstrap?.mode === "off") return null;
    return await retryDeferredBootstrap(config, ctx, files, setup.pull.env);
  };
}
