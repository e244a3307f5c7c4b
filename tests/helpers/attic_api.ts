/**
 * A world for the built-in Attic client: the Attic test server with a cache
 * `main`, a token for it, a private state directory, and an environment whose
 * PATH has no `attic` anywhere. Reading back is real: Nix substitutes what the
 * server stored over HTTP, checking the cache's signature.
 *
 * @module
 */

import {
  type AtticServer,
  type AtticServerOptions,
  startAtticServer,
} from "../attic_server/server.ts";
import { type Grants, signToken } from "../attic_server/tokens.ts";
import { storePathHash } from "../../src/attic/upload_info.ts";
import { CACHE, randomSecret } from "./attic.ts";
import { sh, tempDir } from "./nix.ts";

/** A PATH with Nix, coreutils and a shell, and no attic client. */
export const PATH_WITHOUT_ATTIC = "/usr/bin:/bin";

/** The test server, a token and where a session keeps its state. */
export interface ApiWorld {
  readonly server: AtticServer;
  readonly secret: string;
  /** A token with `r` and `w` on `main` (unless `grants` said otherwise). */
  readonly token: string;
  readonly dir: string;
  readonly state: string;
  /** PATH without attic, and ATTIC_TOKEN. */
  readonly env: Record<string, string>;
  /** `--attic-client api --server … --cache main --state-dir …`, then `extra`. */
  args(...extra: string[]): string[];
  /** Hashes of the store paths the server holds in `main`. */
  stored(): Set<string>;
  /** Hashes uploaded (upload-path answered 200), one entry per upload. */
  uploads(): string[];
  dispose(): Promise<void>;
}

/** Options of {@linkcode apiWorld}. */
export interface ApiWorldOptions {
  /** The token's permissions. @default { main: { r: 1, w: 1 } } */
  readonly grants?: Grants;
  /** Sign the token with another secret than the server's (the server sees no token). */
  readonly foreignToken?: boolean;
  /** Passed to the server. */
  readonly server?: Partial<Pick<AtticServerOptions, "apiEndpoint" | "keepNars" | "network">>;
}

/** Starts an {@linkcode ApiWorld}. */
export async function apiWorld(options: ApiWorldOptions = {}): Promise<ApiWorld> {
  const dir = await tempDir("attic-ci-api-test-");
  const secret = randomSecret();
  const server = await startAtticServer({
    secret,
    caches: { [CACHE]: {} },
    dir,
    ...options.server,
  });
  const token = await signToken(
    options.foreignToken ? randomSecret() : secret,
    options.grants ?? { [CACHE]: { r: 1, w: 1 } },
  );
  const state = `${dir}/state`;
  return {
    server,
    secret,
    token,
    dir,
    state,
    env: { PATH: PATH_WITHOUT_ATTIC, ATTIC_TOKEN: token },
    args: (...extra) => [
      "--attic-client",
      "api",
      "--server",
      server.url,
      "--cache",
      CACHE,
      "--state-dir",
      state,
      "--retry-delay",
      "0.05",
      ...extra,
    ],
    stored: () => new Set(server.stored(CACHE)),
    uploads: () =>
      server.requests.filter((r) => r.path === "/_api/v1/upload-path" && r.status === 200)
        .map((r) => r.hash!),
    dispose: async () => {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The 32 hash characters of a store path (how the server names what it stored). */
export const hashOf: (path: string) => string = storePathHash;

/**
 * Deletes `paths` from the local store and substitutes them back from the
 * server's cache with `--max-jobs 0` (download or fail), checking its key.
 */
export async function substituteBack(
  world: ApiWorld,
  paths: readonly string[],
): Promise<{ code: number; stderr: string }> {
  const deleted = await sh("nix-store", ["--delete", ...paths]);
  if (deleted.code !== 0) return deleted;
  const netrc = `${world.dir}/netrc`;
  await Deno.writeTextFile(netrc, `machine 127.0.0.1 password ${world.token}\n`);
  const back = await sh("nix-store", [
    "-r",
    ...paths,
    "--option",
    "substituters",
    `${world.server.url}${CACHE}`,
    "--option",
    "trusted-public-keys",
    world.server.publicKey(CACHE),
    "--option",
    "netrc-file",
    netrc,
    // The build asked this cache before pushing: Nix remembers those misses (see
    // notes/nix-substitution.md), as the pull side's NIX_CONFIG tells it not to.
    "--option",
    "narinfo-cache-negative-ttl",
    "0",
    "--max-jobs",
    "0",
  ]);
  if (back.code !== 0) return back;
  return await sh("nix-store", ["--check-validity", ...paths]);
}

/** Whether `program` can be found on `path`. */
export async function onPath(program: string, path: string): Promise<boolean> {
  for (const dir of path.split(":")) {
    try {
      await Deno.stat(`${dir}/${program}`);
      return true;
    } catch { /* not here */ }
  }
  return false;
}
