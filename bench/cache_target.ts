/**
 * The cache every strategy of one run pushes into, fresh per run: either the
 * attic CLI test double (a real local binary cache behind `attic push`, with
 * the modelled network) or a plain `file://` binary cache written by
 * `nix copy`. Each target knows how a baseline pushes, how the helper is
 * pointed at it, and what ended up in it.
 *
 * @module
 */

import { networkEnv, type NetworkModel } from "./network.ts";

/** The kinds of cache the benchmark can push into. */
export type CacheKind = "attic" | "file";

/** A fresh, empty cache for one run. */
export interface CacheTarget {
  readonly kind: CacheKind;
  /** The binary cache directory (narinfo files) to inspect after the run. */
  readonly cacheDir: string;
  /** Environment for every strategy's processes (baselines and helper alike). */
  readonly env: Readonly<Record<string, string>>;
  /** The command a baseline runs to push `paths` (with their closures). */
  pushCommand(paths: readonly string[]): string[];
  /** A shell command line pushing `"$@"`-style words; used in shell scripts. */
  readonly pushShell: string;
  /** The helper's options that select this cache (backend, cache, server, ...). */
  readonly helperArgs: readonly string[];
  /** Push invocations of the baselines' push command so far. */
  invocations(): Promise<number>;
}

/** Options for {@linkcode createCacheTarget}. */
export interface CacheTargetOptions {
  readonly kind: CacheKind;
  /** A private directory for this run; the cache lives under it. */
  readonly runDir: string;
  /** The network model (attic only). */
  readonly network: NetworkModel;
  /** Path of the attic double executable (attic only). */
  readonly atticDouble: string;
  /** Path of `nix` (file only). @default "nix" */
  readonly nix?: string;
}

/** Name of the cache and of the server entry in the attic config. */
export const CACHE_NAME = "bench";
/** The server URL given to attic; the double never resolves it. */
export const SERVER_URL = "http://attic.bench.invalid/";
/** The variable holding the (fake) token, as a CI job would have it. */
export const TOKEN_VARIABLE = "ATTIC_TOKEN";

/**
 * Create an empty cache under `options.runDir` and everything needed to push
 * into it.
 */
export async function createCacheTarget(options: CacheTargetOptions): Promise<CacheTarget> {
  return options.kind === "attic" ? await createAttic(options) : await createFile(options);
}

async function createAttic(options: CacheTargetOptions): Promise<CacheTarget> {
  const root = `${options.runDir}/attic-double`;
  const cacheDir = `${root}/caches/${CACHE_NAME}`;
  const xdg = `${options.runDir}/xdg`;
  await Deno.mkdir(cacheDir, { recursive: true });
  await Deno.mkdir(`${xdg}/attic`, { recursive: true });
  const tokenFile = `${options.runDir}/token`;
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
  const doubleDir = options.atticDouble.slice(0, options.atticDouble.lastIndexOf("/"));
  const env = {
    PATH: `${doubleDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    ATTIC_DOUBLE_ROOT: root,
    XDG_CONFIG_HOME: xdg,
    [TOKEN_VARIABLE]: "bench-token",
    ...networkEnv(options.network),
  };
  const target = `${CACHE_NAME}:${CACHE_NAME}`;
  return {
    kind: "attic",
    cacheDir,
    env,
    pushCommand: (paths) => [options.atticDouble, "push", target, ...paths],
    pushShell: `${options.atticDouble} push ${target}`,
    helperArgs: [
      "--backend",
      "attic",
      "--server",
      SERVER_URL,
      "--cache",
      CACHE_NAME,
      "--token-variable",
      TOKEN_VARIABLE,
    ],
    invocations: () => countLines(`${root}/invocations.jsonl`),
  };
}

async function createFile(options: CacheTargetOptions): Promise<CacheTarget> {
  const cacheDir = `${options.runDir}/file-cache`;
  await Deno.mkdir(cacheDir, { recursive: true });
  const url = `file://${cacheDir}?compression=none`;
  const nix = options.nix ?? "nix";
  // Baselines push through this wrapper so their invocations can be counted;
  // the helper runs `nix copy` itself and reports its own count.
  const log = `${options.runDir}/invocations.log`;
  const wrapper = `${options.runDir}/nix-copy-push`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\necho "$$" >> '${log}'\nexec ${nix} copy --to '${url}' "$@"\n`,
    { mode: 0o755 },
  );
  return {
    kind: "file",
    cacheDir,
    env: {},
    pushCommand: (paths) => [wrapper, ...paths],
    pushShell: wrapper,
    helperArgs: ["--backend", "nix-copy", "--to", url],
    invocations: () => countLines(log),
  };
}

async function countLines(file: string): Promise<number> {
  try {
    const text = await Deno.readTextFile(file);
    return text.split("\n").filter((line) => line.trim().length > 0).length;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

/**
 * The hash parts (32 characters) of the store paths present in a binary
 * cache directory (one `<hash>.narinfo` per path).
 */
export async function cachedHashes(cacheDir: string): Promise<Set<string>> {
  const hashes = new Set<string>();
  try {
    for await (const entry of Deno.readDir(cacheDir)) {
      if (entry.isFile && entry.name.endsWith(".narinfo")) {
        hashes.add(entry.name.slice(0, -".narinfo".length));
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return hashes;
}
