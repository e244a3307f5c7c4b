/**
 * The pull side of a job: make every Nix it runs substitute from the cache it
 * fills. From the cache's configuration (or the nix-copy store URL): the
 * substituter and its key, and for a private cache the token in the job's
 * netrc (a 0600 file in the private state directory). The result is the
 * `NIX_CONFIG` the job's Nix runs with — the build (`exec`, `build`), the
 * bootstrap, and, printed for `eval`, the user's own script lines (`start`,
 * `use`). Where a daemon ignores the job's settings, one line says what an
 * admin adds. Nothing here fails a build: without a pull source it runs as
 * before, and says why.
 *
 * @module
 */

import type { AtticApi, CacheConfigOptions } from "../attic/attic_api.ts";
import { AtticApiError } from "../attic/api_error.ts";
import type { EngineConfig } from "../options/engine_config.ts";
import { type DaemonVerdict, daemonVerdict, type NixUser } from "../pull/daemon_trust.ts";
import {
  NIX_CONFIG_VARIABLE,
  pullSettingsLines,
  withNetrcEntry,
  withNixConfigLines,
} from "../pull/job_nix_config.ts";
import {
  isDaemonStore,
  type NixSettings,
  type NixStoreInfo,
  readNixSettings,
  readStoreInfo,
} from "../pull/nix_settings.ts";
import {
  atticPullSource,
  keyName,
  type PullSource,
  storeUrlPullSource,
} from "../pull/pull_source.ts";
import { readOptional, reason, type StateFiles, writePrivateFile } from "../state/state_dir.ts";
import type { System } from "../system/system.ts";
import type { CommandContext } from "./context.ts";

/** How the job's Nix pulls from the cache. */
export interface PullSetup {
  /** Variables for every Nix of the job (`NIX_CONFIG` with our lines); empty when not pulling. */
  readonly env: Readonly<Record<string, string>>;
  /** The name of the cache's signing key (the report tells its paths apart by it), or null. */
  readonly keyName: string | null;
  /**
   * The cache refused the token (401/403/404 on its configuration), as said
   * in the log: pushing will be refused the same way, and need not say it again.
   */
  readonly refusal: string | null;
  /** The store the job's Nix talks to, where the pull side asked (undefined: it did not ask). */
  readonly store?: NixStoreInfo | null;
  /**
   * The job's Nix substitutes from the cache (no daemon ignores it): a path
   * it built itself was not in the cache when it asked.
   */
  readonly active?: boolean;
}

/**
 * How the pull side asks for the cache's configuration: one retry at most,
 * as the build waits for it and a cache that is down must not hold it up.
 */
export function pullCacheConfigOptions(config: EngineConfig): CacheConfigOptions {
  return { retries: Math.min(config.retries, 1) };
}

/** Not pulling. */
export const NO_PULL: PullSetup = { env: {}, keyName: null, refusal: null };

/** What the pull side reads the cache with. */
export interface CacheAccess {
  /** The token (a private cache is read with it), or null. */
  readonly token: string | null;
  /** The built-in client of backend attic (its cache-config is shared with the pushes), or null. */
  readonly api: AtticApi | null;
}

/** Sets up the pull side; see the module documentation. */
export async function setUpPull(
  config: EngineConfig,
  ctx: CommandContext,
  files: StateFiles,
  access: CacheAccess,
): Promise<PullSetup> {
  const { system, logger } = ctx;
  // --no-pull: the job's Nix is left as configured, as asked (no line: the user said it).
  if (!config.pull) return NO_PULL;
  const [found, settings, store] = await Promise.all([
    pullSource(config, access),
    readNixSettings(system, system.env),
    readStoreInfo(system),
  ]);
  if (!("substituter" in found)) {
    const noPull = { ...NO_PULL, refusal: found.refusal, store };
    logger.warn(
      found.refusal === null
        ? `not pulling from the cache: ${found.why}; the build runs without it`
        : `the cache refuses every request, so nothing is pulled from it or pushed to it: ` +
          found.refusal,
    );
    return noPull;
  }
  const source = found;
  const verdict = await daemonVerdictOf(system, store, settings, source);
  if (verdict.kind === "ignored") {
    logger.warn(verdict.advice);
    return { env: {}, keyName: keyName(source.publicKey), refusal: null, store };
  }
  let lines: string[];
  if (verdict.kind === "configured") {
    // The daemon has the cache: a client setting it would ignore only adds warnings to the log.
    lines = settings?.substituters.includes(source.substituter)
      ? []
      : [`extra-substituters = ${source.substituter}`];
    logger.info(`pulling from ${source.substituter}: the Nix daemon is set up for it`);
    if (verdict.note !== null) logger.info(verdict.note);
  } else {
    let netrcFile: string | null = null;
    if (source.credentials !== null) {
      const existing = settings?.netrcFile
        ? await readOptional(settings.netrcFile).catch(() => null)
        : null;
      try {
        await writePrivateFile(files.netrc, withNetrcEntry(existing ?? "", source.credentials));
      } catch (error) {
        logger.warn(
          `not pulling from the cache: cannot write the job's netrc in ${files.dir} ` +
            `(${reason(error)}); the build runs without it`,
        );
        return NO_PULL;
      }
      netrcFile = files.netrc;
    }
    lines = pullSettingsLines(source, netrcFile);
    logger.info(
      `pulling from ${source.substituter} (signatures by ${keyName(source.publicKey)} required` +
        (netrcFile === null ? "" : "; a private cache: the token in this job's netrc") + ")",
    );
  }
  return {
    env: lines.length === 0
      ? {}
      : { [NIX_CONFIG_VARIABLE]: withNixConfigLines(system.env.NIX_CONFIG, lines) },
    keyName: keyName(source.publicKey),
    refusal: null,
    store,
    active: true,
  };
}

/**
 * The pull source of the configured backend, or null after a warning that
 * says why there is none (for `use --persist`).
 */
export async function readPullSource(
  config: EngineConfig,
  ctx: CommandContext,
  access: CacheAccess,
): Promise<PullSource | null> {
  const found = await pullSource(config, access);
  if ("substituter" in found) return found;
  ctx.logger.warn(`cannot pull from the cache: ${found.why}`);
  return null;
}

/** Whether a daemon would ignore the job's settings (asked only where there is one). */
export async function daemonVerdictOf(
  system: System,
  store: NixStoreInfo | null,
  settings: NixSettings | null,
  source: PullSource,
): Promise<DaemonVerdict> {
  return store === null || !isDaemonStore(store)
    ? { kind: "local" }
    : daemonVerdict({ store, settings, user: await nixUser(system), source });
}

/** Why there is no pull source, and whether the cache refused the token (see PullSetup). */
interface NoSource {
  readonly why: string;
  readonly refusal: string | null;
  /** The store the job's Nix talks to, where the pull side asked (undefined: it did not ask). */
  readonly store?: NixStoreInfo | null;
}

/** The pull source of the configured backend, or why there is none. */
async function pullSource(
  config: EngineConfig,
  access: CacheAccess,
): Promise<PullSource | NoSource> {
  const none = (why: string): NoSource => ({ why, refusal: null });
  if (config.backend === "nix-copy") {
    const found = await storeUrlPullSource(config.to!, config.publicKey);
    return typeof found === "string" ? none(found) : found;
  }
  if (access.api === null) return none("no way to read the cache's configuration");
  let cacheConfig;
  try {
    cacheConfig = await access.api.cacheConfig(pullCacheConfigOptions(config));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      why: `cannot read the cache's configuration: ${message}`,
      refusal: error instanceof AtticApiError && error.refusesAll ? message : null,
    };
  }
  const found = atticPullSource(cacheConfig, access.token);
  return typeof found === "string" ? none(found) : found;
}

/** The user the job's Nix runs as, and its groups (for `trusted-users`). */
async function nixUser(system: System): Promise<NixUser> {
  const [name, groups] = await Promise.all([
    system.run("id", { args: ["-un"] }).catch(() => null),
    system.run("id", { args: ["-Gn"] }).catch(() => null),
  ]);
  return {
    name: name?.code === 0 ? name.stdout.trim() : system.env.USER ?? `uid ${Deno.uid()}`,
    groups: groups?.code === 0 ? groups.stdout.trim().split(/\s+/) : [],
  };
}
