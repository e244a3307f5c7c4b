/**
 * The cache every strategy of one run pushes into, fresh per run: the attic
 * CLI test double (tests/attic_double), a real local binary cache behind
 * `attic push`, with the modelled network. The baselines call it directly;
 * the helper finds it on `PATH`.
 *
 * @module
 */

import { networkEnv, type NetworkModel } from "./network.ts";

/** A fresh, empty cache for one run. */
export interface CacheTarget {
  /** The binary cache directory (narinfo files) to inspect after the run. */
  readonly cacheDir: string;
  /** Environment for every strategy's processes (baselines and helper alike). */
  readonly env: Readonly<Record<string, string>>;
  /** A shell command line pushing the store paths that follow it. */
  readonly pushShell: string;
  /** The helper's options that select this cache (backend, server, cache, token). */
  readonly helperArgs: readonly string[];
  /** `attic push` invocations so far (the double's invocation log). */
  invocations(): Promise<number>;
}

const CACHE_NAME = "bench";
/** The server URL given to attic; the double never resolves it. */
const SERVER_URL = "http://attic.bench.invalid/";
/** The variable holding the (fake) token, as a CI job would have it. */
const TOKEN_VARIABLE = "ATTIC_TOKEN";

/**
 * Create an empty cache under `runDir` and everything needed to push into it.
 *
 * @example
 * ```ts
 * const target = await createCacheTarget("/tmp/run1", MODELLED_NETWORK, "tests/attic_double/attic");
 * ```
 */
export async function createCacheTarget(
  runDir: string,
  network: NetworkModel,
  atticDouble: string,
): Promise<CacheTarget> {
  const root = `${runDir}/attic-double`;
  const cacheDir = `${root}/caches/${CACHE_NAME}`;
  const xdg = `${runDir}/xdg`;
  await Deno.mkdir(cacheDir, { recursive: true });
  await Deno.mkdir(`${xdg}/attic`, { recursive: true });
  const tokenFile = `${runDir}/token`;
  await Deno.writeTextFile(tokenFile, "bench-token\n", { mode: 0o600 });
  await Deno.writeTextFile(
    `${xdg}/attic/config.toml`,
    [
      `default-server = "${CACHE_NAME}"`,
      `[servers.${CACHE_NAME}]`,
      `endpoint = "${SERVER_URL}"`,
      `token-file = "${tokenFile}"`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const doubleDir = atticDouble.slice(0, atticDouble.lastIndexOf("/"));
  return {
    cacheDir,
    env: {
      PATH: `${doubleDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      ATTIC_DOUBLE_ROOT: root,
      XDG_CONFIG_HOME: xdg,
      [TOKEN_VARIABLE]: "bench-token",
      ...networkEnv(network),
    },
    pushShell: `${atticDouble} push ${CACHE_NAME}:${CACHE_NAME}`,
    helperArgs: [
      "--backend",
      "attic",
      "--server",
      SERVER_URL,
      "--cache",
      CACHE_NAME,
      "--token-variable",
      TOKEN_VARIABLE,
      // Fail the attic client bootstrap at once; the double on PATH is used instead.
      "--bootstrap-installable",
      "/nonexistent/attic-ci-bench#attic-client",
    ],
    invocations: async () => {
      try {
        const log = await Deno.readTextFile(`${root}/invocations.jsonl`);
        return log.split("\n").filter((line) => line.trim().length > 0).length;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return 0;
        throw error;
      }
    },
  };
}
