/**
 * The Attic test server (tests/attic_server) as a process of its own, one per
 * run of the built-in client's strategy, so that its work (TLS-less HTTP,
 * hashing every NAR as it streams) never shares the bench's event loop with
 * the lock observer's clock.
 *
 * Started as `deno run -A attic_server_child.ts '<json>'` with
 * {@linkcode ServerChildConfig}; prints one JSON line, {@linkcode ServerReady},
 * once it listens; when its stdin ends, prints {@linkcode ServerFinal} and
 * exits.
 *
 * @module
 */

import process from "node:process";
import { startAtticServer } from "../tests/attic_server/server.ts";
import { signToken } from "../tests/attic_server/tokens.ts";

/** What the child is started with. */
export interface ServerChildConfig {
  /** Where the server keeps its files (no NARs: `keepNars: false`). */
  readonly dir: string;
  readonly cache: string;
  readonly latencyMs: number;
  readonly bandwidthBps: number | null;
}

/** The child's first line. */
export interface ServerReady {
  readonly url: string;
  /** A token that may read and write the cache. */
  readonly token: string;
}

/** The child's last line: what reached the server. */
export interface ServerFinal {
  /** Store path hashes the cache holds. */
  readonly stored: readonly string[];
  /** API requests received, by route (injected faults included; there are none here). */
  readonly requests: { cacheConfig: number; missingPaths: number; uploadPath: number };
  /** API requests answered with anything but 200. */
  readonly refused: number;
  /** NAR bytes read from upload bodies. */
  readonly uploadBytes: number;
  /** The server process's own CPU seconds (user + system). */
  readonly cpuSeconds: number;
}

if (import.meta.main) {
  const config = JSON.parse(Deno.args[0] ?? "") as ServerChildConfig;
  const secret = crypto.randomUUID();
  const server = await startAtticServer({
    secret,
    caches: { [config.cache]: {} },
    dir: config.dir,
    network: { latencyMs: config.latencyMs, bandwidthBps: config.bandwidthBps },
    keepNars: false,
  });
  const token = await signToken(secret, { [config.cache]: { r: 1, w: 1 } }, 24 * 3600);
  const ready: ServerReady = { url: server.url, token };
  console.log(JSON.stringify(ready));
  // Serve until the bench closes our stdin.
  for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
  const stats = server.stats();
  const final: ServerFinal = {
    stored: server.stored(config.cache),
    requests: {
      cacheConfig: stats.requests["cache-config"],
      missingPaths: stats.requests["get-missing-paths"],
      uploadPath: stats.requests["upload-path"],
    },
    refused: server.requests.filter((r) => r.path.startsWith("/_api/") && r.status !== 200)
      .length,
    uploadBytes: stats.uploadBytes,
    cpuSeconds: cpuSeconds(),
  };
  console.log(JSON.stringify(final));
  await server.close();
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
