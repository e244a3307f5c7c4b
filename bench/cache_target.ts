/**
 * The cache every strategy of one run pushes into, fresh per run, with the
 * scenario's modelled network (network.ts), behind one of two stand-ins:
 *
 * - the attic CLI test double (tests/attic_double): a real local binary cache
 *   behind `attic push`; the baselines call it directly, the helper with
 *   `--attic-client cli` finds it on `PATH`;
 * - the Attic test server (tests/attic_server), in a process of its own
 *   (attic_server_child.ts): the HTTP API the helper's built-in client
 *   (`--attic-client auto` without an `attic` on `PATH`, the default) talks to.
 *
 * @module
 */

import { networkEnv, type NetworkModel, serverNetwork } from "./network.ts";
import { hasNarinfo } from "../tests/helpers/nix.ts";
import type { ServerChildConfig, ServerFinal, ServerReady } from "./attic_server_child.ts";

/** Which stand-in a strategy pushes to. */
export type CacheKind = "attic-double" | "attic-server";

/** A fresh, empty cache for one run. */
export interface CacheTarget {
  readonly kind: CacheKind;
  /** Environment for every strategy's processes (baselines and helper alike). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A shell command line pushing the store paths that follow it; null for the
   * server, which only the built-in client talks to.
   */
  readonly pushShell: string | null;
  /** The helper's options that select this cache (backend, server, cache, token, client). */
  readonly helperArgs: readonly string[];
  /** Ends the target (stops the server) and says what reached it; call it once. */
  finish(): Promise<CacheContents>;
}

/** What reached a cache by the end of a run. */
export interface CacheContents {
  /** Whether the cache holds `path`. */
  has(path: string): Promise<boolean>;
  /** `attic push` invocations (the double's invocation log); null for the server. */
  readonly invocations: number | null;
  /** What the server counted; null for the double. */
  readonly server: ServerMeasures | null;
}

/** The Attic test server's counts for one run. */
export interface ServerMeasures {
  /** API requests received, by route. */
  readonly requests: { cacheConfig: number; missingPaths: number; uploadPath: number };
  /** API requests answered with anything but 200. */
  readonly refused: number;
  /** NAR bytes read from upload bodies. */
  readonly uploadBytes: number;
  /** The server process's own CPU seconds (it runs on the build's machine, a real one would not). */
  readonly cpuSeconds: number;
}

/** How to start the server's process. */
export interface ServerLaunch {
  /** The program and its arguments before the child's module, e.g. `deno run -A --quiet`. */
  readonly denoArgv: readonly string[];
  /** attic_server_child.ts. */
  readonly module: string;
}

const CACHE_NAME = "bench";
/** The server URL given to attic; the double never resolves it. */
const SERVER_URL = "http://attic.bench.invalid/";
/** The variable holding the token, as a CI job would have it. */
const TOKEN_VARIABLE = "ATTIC_TOKEN";

/**
 * Create an empty cache of the attic CLI double under `runDir` and everything
 * needed to push into it.
 *
 * @example
 * ```ts
 * const target = await createDoubleTarget("/tmp/run1", MODELLED_NETWORK, "tests/attic_double/attic");
 * ```
 */
export async function createDoubleTarget(
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
    kind: "attic-double",
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
      "--attic-client",
      "cli",
      // The double has no server to read a cache's configuration from: nothing to pull.
      "--no-pull",
    ],
    finish: async () => ({
      has: (path) => hasNarinfo(cacheDir, path),
      invocations: await countLines(`${root}/invocations.jsonl`),
      server: null,
    }),
  };
}

/**
 * Start a fresh Attic test server for one run (its own process, an empty
 * cache, the scenario's network as its `network` option) and everything the
 * helper's built-in client needs to push to it. `PATH` keeps no directory that
 * holds an `attic`.
 *
 * @example
 * ```ts
 * const target = await startServerTarget("/tmp/run1", MODELLED_NETWORK, launch);
 * // … attic-ci exec --attic-client api …
 * const contents = await target.finish();
 * ```
 */
export async function startServerTarget(
  runDir: string,
  network: NetworkModel,
  launch: ServerLaunch,
): Promise<CacheTarget> {
  const xdg = `${runDir}/xdg`;
  await Deno.mkdir(xdg, { recursive: true });
  const config: ServerChildConfig = {
    dir: `${runDir}/attic-server`,
    cache: CACHE_NAME,
    ...serverNetwork(network),
  };
  // At the lowest priority: a real Attic server runs on another machine, so its work must not
  // take the build's CPU here (docs/benchmarks.md, "Method"); it still answers when a core is free.
  const child = new Deno.Command("nice", {
    args: ["-n", "19", ...launch.denoArgv, launch.module, JSON.stringify(config)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = lineReader(child.stdout);
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const fail = async (what: string): Promise<never> => {
    kill();
    await child.status;
    throw new Error(`Cannot use the Attic test server as ${what}: ${(await stderr).trim()}`);
  };
  const first = await withTimeout(lines.next(), 60_000);
  if (first === null) return await fail("it did not start within 60 s");
  if (first.done) return await fail("it exited before it listened");
  const ready = JSON.parse(first.value) as ServerReady;
  return {
    kind: "attic-server",
    env: {
      PATH: pathWithoutAttic(Deno.env.get("PATH") ?? "/usr/bin:/bin"),
      XDG_CONFIG_HOME: xdg,
      [TOKEN_VARIABLE]: ready.token,
    },
    pushShell: null,
    // The helper's defaults otherwise: `--attic-client auto`, with no attic on PATH, is the
    // built-in client; the pull side reads this server's cache.
    helperArgs: [
      "--backend",
      "attic",
      "--server",
      ready.url,
      "--cache",
      CACHE_NAME,
      "--token-variable",
      TOKEN_VARIABLE,
    ],
    finish: async () => {
      await child.stdin.close().catch(() => {});
      const last = await withTimeout(lines.next(), 30_000);
      if (last === null || last.done) return await fail("it gave no final counts");
      const final = JSON.parse(last.value) as ServerFinal;
      const status = await withTimeout(child.status, 30_000);
      if (status === null) kill();
      await Deno.writeTextFile(`${runDir}/attic-server.log`, await stderr);
      const stored = new Set(final.stored);
      return {
        has: (path) => Promise.resolve(stored.has(storePathHash(path))),
        invocations: null,
        server: {
          requests: final.requests,
          refused: final.refused,
          uploadBytes: final.uploadBytes,
          cpuSeconds: final.cpuSeconds,
        },
      };
    },
  };
}

/**
 * `PATH` without the directories that hold an `attic` (so the helper cannot
 * fall back on a CLI when the built-in client is measured).
 *
 * @example
 * ```ts
 * pathWithoutAttic("/opt/attic/bin:/usr/bin"); // "/usr/bin" when /opt/attic/bin/attic exists
 * ```
 */
export function pathWithoutAttic(path: string): string {
  return path.split(":").filter((dir) => {
    if (dir === "") return false;
    try {
      Deno.statSync(`${dir}/attic`);
      return false;
    } catch {
      return true;
    }
  }).join(":");
}

/** The 32-character hash part of a store path. */
function storePathHash(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1, path.lastIndexOf("/") + 33);
}

async function countLines(file: string): Promise<number> {
  try {
    const log = await Deno.readTextFile(file);
    return log.split("\n").filter((line) => line.trim().length > 0).length;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

/** The lines of a byte stream, one `next()` at a time. */
function lineReader(stream: ReadableStream<Uint8Array>): AsyncIterator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<IteratorResult<string>> {
      for (;;) {
        const newline = buffer.indexOf("\n");
        if (newline >= 0) {
          const value = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          return { done: false, value };
        }
        const { value, done } = await reader.read();
        if (done) {
          if (buffer.length === 0) return { done: true, value: undefined };
          const rest = buffer;
          buffer = "";
          return { done: false, value: rest };
        }
        buffer += value;
      }
    },
  };
}

/** `promise`'s value, or null once `ms` have passed. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
