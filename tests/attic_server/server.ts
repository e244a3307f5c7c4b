/**
 * A stand-in for the Attic server's push API and binary cache, written from
 * `../shared/notes/attic-api.md` (read from attic's source), for testing a
 * native client. It is strict: it refuses what the real server refuses, and
 * also what the real one should refuse but does not (a `store_path` that does
 * not match its hash, references that are full paths), so a client bug shows
 * here instead of in a later `nix` run. What it stored it serves as a signed
 * Nix binary cache, so the real Nix proves the NARs and metadata right by
 * substituting from it. Faults are injected per test through {@linkcode ServerFaults};
 * a modelled network ({@linkcode NetworkModel}) slows it down for benchmarks.
 *
 * Clients talk to it through a small TCP proxy ({@linkcode startTcpProxy}), so
 * that a fault can cut a connection mid-body and a stalled upload can see its
 * client leave.
 *
 * @example
 * ```ts
 * const server = await startAtticServer({ secret, caches: { main: {} }, dir });
 * server.faults.drop = { afterBytes: 65536, times: 1 };
 * // … a client pushes to server.url …
 * await server.close();
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";
import { toNix32 } from "../attic_double/nix_store.ts";
import { type ProxiedConnection, startTcpProxy } from "./tcp_proxy.ts";
import { grantsOf, permissionOn } from "./tokens.ts";

/** One cache the server holds. */
export interface CacheOptions {
  /** Readable without a token (`nix-cache-info`, narinfo, NARs, cache-config). */
  readonly public?: boolean;
  /** @default ["cache.nixos.org-1"] */
  readonly upstreamKeyNames?: readonly string[];
}

/**
 * Faults, changed by a test while the server runs. Byte counts are of the NAR,
 * the body after any preamble. An upload whose NAR ends before `afterBytes`
 * passes by a `stall` or `drop` untouched and does not count against `times`.
 */
export interface ServerFaults {
  /** Answer the next `times` API requests (of `route`, or any) with `status` instead. */
  fail?: { status: 429 | 500 | 502 | 503; times: number; retryAfter?: number; route?: ApiRoute };
  /**
   * A stalled stream: the next `times` uploads to pass `afterBytes` stop being
   * read there and are never answered. `times` drops by one as each stall
   * starts. The handler ends when the client gives up (its connection closes),
   * or on {@linkcode AtticServer.close}, and is recorded with status 0 and
   * `stalled: true`. The client's leaving is seen once the proxy has read what
   * the client sent before it: at once for a body that fit the socket buffers
   * (some MiB), otherwise only on close(), as a real server that stopped
   * reading would not see it either.
   */
  stall?: { afterBytes: number; times: number };
  /**
   * A dropped connection: the next `times` uploads to pass `afterBytes` (give
   * or take the chunk in flight) have their TCP connection closed at once, with
   * no HTTP response; a fetch client sees a network error (`TypeError`).
   * `times` drops by one on each drop; each is recorded with status 0 and
   * `dropped: true`, and nothing of it is stored.
   */
  drop?: { afterBytes: number; times: number };
  /** Refuse an upload body larger than this with 413, as a proxy with a body limit does. */
  maxBodyBytes?: number;
}

/**
 * A modelled network between the client and the server (the shape of
 * `bench/network.ts`'s `NetworkModel`).
 */
export interface NetworkModel {
  /** Milliseconds each API request waits before it is handled (binary cache reads do not). */
  readonly latencyMs: number;
  /**
   * NAR bytes per second the server reads upload bodies at, over one link all
   * uploads share (one CI machine's uplink); `null` means unlimited.
   */
  readonly bandwidthBps: number | null;
}

/** The three push endpoints. */
export type ApiRoute = "cache-config" | "get-missing-paths" | "upload-path";

/** One request the server has finished with (for the tests' assertions). */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /**
   * The status answered, or 0 if no answer was sent: a stall, a drop, or a
   * client that left first.
   */
  readonly status: number;
  /** upload-path: the store path hash uploaded. */
  readonly hash?: string;
  /** Whether an Authorization header came with it. */
  readonly authorized: boolean;
  /** When the server began to handle it (epoch ms): tells which request came before what. */
  readonly receivedAt: number;
  /** upload-path, once its body was being read: the NAR bytes read (after any preamble). */
  readonly narBytes?: number;
  /** Stalled by {@linkcode ServerFaults.stall} (status 0). */
  readonly stalled?: true;
  /** Its connection was cut by {@linkcode ServerFaults.drop} (status 0). */
  readonly dropped?: true;
}

/** Counters of a running server, from {@linkcode AtticServer.stats}. */
export interface ServerStats {
  /** API requests received, by route, whatever their answer (injected faults included). */
  readonly requests: Readonly<Record<ApiRoute, number>>;
  /** Binary cache requests received (`nix-cache-info`, narinfo, NAR). */
  readonly cacheRequests: number;
  /** NAR bytes read from all upload bodies, stored or not. */
  readonly uploadBytes: number;
  /** NAR bytes of the uploads that were stored (answered 200). */
  readonly storedBytes: number;
}

/** Options of {@linkcode startAtticServer}. */
export interface AtticServerOptions {
  /** The HS256 secret tokens are signed with. */
  readonly secret: string;
  readonly caches: Readonly<Record<string, CacheOptions>>;
  /** Where NARs are kept. */
  readonly dir: string;
  /** `api_endpoint` in cache-config. @default the URL the request came to */
  readonly apiEndpoint?: string;
  /** A modelled network (latency per API request, upload bandwidth). @default none */
  readonly network?: NetworkModel;
  /**
   * Keep uploaded NARs in `dir`. When false, an upload's hash and size are
   * still checked as it streams, but nothing is written (for uploads of a
   * GiB): its narinfo is served, its NAR is 404. @default true
   */
  readonly keepNars?: boolean;
}

/** A running server. */
export interface AtticServer {
  /** `http://127.0.0.1:<port>/` (the proxy's): the endpoint a client is configured with. */
  readonly url: string;
  /** `<cache>`'s public key, for Nix's `trusted-public-keys`. */
  publicKey(cache: string): string;
  /** The requests finished so far, in the order they finished. */
  readonly requests: RequestRecord[];
  /** The faults to inject, changed by the test while the server runs. */
  readonly faults: ServerFaults;
  /** Store path hashes stored in `cache`. */
  stored(cache: string): string[];
  /** A snapshot of the server's counters. */
  stats(): ServerStats;
  /** Releases stalled uploads, closes every connection and the server; idempotent. */
  close(): Promise<void>;
}

/** The info of one uploaded path, as the client sent it. */
interface UploadInfo {
  cache: string;
  store_path_hash: string;
  store_path: string;
  references: string[];
  system: string | null;
  deriver: string | null;
  sigs: string[];
  ca: string | null;
  nar_hash: string;
  nar_size: number;
}

interface StoredPath {
  readonly info: UploadInfo;
  readonly narHashBase32: string;
  /** `null` when the NAR was not kept (`keepNars: false`). */
  readonly narFile: string | null;
}

/** What a finished request adds to its {@linkcode RequestRecord}. */
type RecordExtra = Pick<RequestRecord, "hash" | "stalled" | "dropped">;
type Recorder = (status: number, extra?: RecordExtra) => void;

interface CacheState {
  readonly options: CacheOptions;
  readonly paths: Map<string, StoredPath>;
  readonly keyName: string;
  readonly keys: CryptoKeyPair;
  readonly publicKey: string;
}

const INFO_KEYS = [
  "cache",
  "store_path_hash",
  "store_path",
  "references",
  "system",
  "deriver",
  "sigs",
  "ca",
  "nar_hash",
  "nar_size",
].sort();
const HASH = /^[0-9a-df-np-sv-z]{32}$/;
const BASE_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
const MAX_PREAMBLE = 1024 * 1024;
const STORE_DIR = "/nix/store";

class HttpError extends Error {
  constructor(readonly status: number, readonly kind: string, message: string) {
    super(message);
  }
}

/** The request gets no answer: a stall or a drop injected, or its client has left. */
class NoAnswer extends Error {
  constructor(readonly extra: RecordExtra = {}) {
    super("no answer");
  }
}

/**
 * Starts the server on a free port of 127.0.0.1, behind its proxy.
 *
 * @example
 * ```ts
 * const server = await startAtticServer({
 *   secret,
 *   caches: { main: {}, open: { public: true } },
 *   dir,
 *   network: { latencyMs: 100, bandwidthBps: 4 * 1024 * 1024 },
 * });
 * ```
 */
export async function startAtticServer(options: AtticServerOptions): Promise<AtticServer> {
  const network = options.network ?? { latencyMs: 0, bandwidthBps: null };
  if (!(network.latencyMs >= 0)) {
    throw new RangeError(
      `Cannot start the Attic test server as network.latencyMs must be 0 or more: current value is ${network.latencyMs}`,
    );
  }
  if (network.bandwidthBps !== null && !(network.bandwidthBps > 0)) {
    throw new RangeError(
      `Cannot start the Attic test server as network.bandwidthBps must be positive or null: current value is ${network.bandwidthBps}`,
    );
  }
  const keepNars = options.keepNars ?? true;
  await Deno.mkdir(options.dir, { recursive: true });
  const caches = new Map<string, CacheState>();
  for (const [name, cacheOptions] of Object.entries(options.caches)) {
    const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
    const keyName = `${name}-attic-ci-test-1`;
    caches.set(name, {
      options: cacheOptions,
      paths: new Map(),
      keyName,
      keys,
      publicKey: `${keyName}:${btoa(String.fromCharCode(...raw))}`,
    });
  }
  const requests: RequestRecord[] = [];
  const faults: ServerFaults = {};
  const counts: Record<ApiRoute, number> = {
    "cache-config": 0,
    "get-missing-paths": 0,
    "upload-path": 0,
  };
  let cacheRequests = 0;
  let uploadBytes = 0;
  let storedBytes = 0;
  /** When the modelled link is free again (`performance.now()` time). */
  let linkFreeAt = 0;
  const closing = new AbortController();

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req, info) => {
      const receivedAt = Date.now();
      const url = new URL(req.url);
      // The client's connection, through the proxy (absent for a client that came round it).
      const connection = proxy.upstream(info.remoteAddr.port);
      // Not req.signal: Deno does not abort it for a client that left while its body is not
      // read (and warns of its legacy abort on success); the proxy sees the connection close.
      const gone = connection
        ? AbortSignal.any([closing.signal, connection.closed])
        : closing.signal;
      const upload: UploadProgress = { narBytes: null };
      const record: Recorder = (status, extra = {}) =>
        requests.push({
          method: req.method,
          path: url.pathname,
          status,
          authorized: req.headers.has("authorization"),
          receivedAt,
          ...(extra.hash !== undefined ? { hash: extra.hash } : {}),
          ...(upload.narBytes !== null ? { narBytes: upload.narBytes } : {}),
          ...(extra.stalled ? { stalled: true as const } : {}),
          ...(extra.dropped ? { dropped: true as const } : {}),
        });
      try {
        return await route({ req, url, record, connection, gone, upload });
      } catch (error) {
        if (error instanceof NoAnswer || (gone.aborted && !(error instanceof HttpError))) {
          record(0, error instanceof NoAnswer ? error.extra : {});
          await req.body?.cancel().catch(() => {});
          return new Response(null, { status: 500 }); // to nobody
        }
        if (error instanceof HttpError) {
          record(error.status);
          return Response.json(
            { code: error.status, error: error.kind, message: error.message },
            { status: error.status },
          );
        }
        record(500);
        return Response.json(
          { code: 500, error: "InternalServerError", message: String(error) },
          { status: 500 },
        );
      }
    },
  );
  const proxy = startTcpProxy({ hostname: "127.0.0.1", port: server.addr.port });
  const base = `http://127.0.0.1:${proxy.port}/`;

  async function route(exchange: Exchange): Promise<Response> {
    const { req, url, record, gone } = exchange;
    const api = /^\/_api\/v1\/(cache-config\/([^/]+)|get-missing-paths|upload-path)$/.exec(
      url.pathname,
    );
    if (api) {
      const name: ApiRoute = api[2] !== undefined
        ? "cache-config"
        : api[1] as "get-missing-paths" | "upload-path";
      counts[name]++;
      if (network.latencyMs > 0) {
        await sleep(network.latencyMs, gone);
        if (gone.aborted) throw new NoAnswer();
      }
      const fail = faults.fail;
      if (fail && fail.times > 0 && (fail.route === undefined || fail.route === name)) {
        fail.times--;
        await req.body?.cancel();
        record(fail.status);
        const headers: Record<string, string> = fail.retryAfter !== undefined
          ? { "retry-after": String(fail.retryAfter) }
          : {};
        return Response.json(
          { code: fail.status, error: "Injected", message: `injected ${fail.status}` },
          { status: fail.status, headers },
        );
      }
      if (name === "cache-config") {
        if (req.method !== "GET") throw new HttpError(405, "MethodNotAllowed", "GET only");
        return cacheConfig(req, decodeURIComponent(api[2]!), record);
      }
      if (name === "get-missing-paths") {
        if (req.method !== "POST") throw new HttpError(405, "MethodNotAllowed", "POST only");
        return await missingPaths(req, record);
      }
      if (req.method !== "PUT") throw new HttpError(405, "MethodNotAllowed", "PUT only");
      return await uploadPath(exchange);
    }
    cacheRequests++;
    const cacheFile =
      /^\/([^/]+)\/(nix-cache-info|([0-9a-df-np-sv-z]{32})\.narinfo|nar\/([0-9a-df-np-sv-z]{32})\.nar)$/
        .exec(url.pathname);
    if (cacheFile && req.method === "GET") {
      return await serveCacheFile(req, cacheFile, record);
    }
    throw new HttpError(404, "NotFound", `no route for ${req.method} ${url.pathname}`);
  }

  /** The cache and what the request may do to it; 401/404 as the real server decides. */
  async function access(req: Request, name: string): Promise<{
    cache: CacheState;
    read: boolean;
    write: boolean;
    /** A valid token came (an invalid or expired one counts as none). */
    authenticated: boolean;
  }> {
    const grants = await grantsOf(req, options.secret);
    const permission = permissionOn(grants, name);
    const cache = caches.get(name);
    if (cache === undefined) {
      // Only a caller who may see the name learns that it does not exist.
      if (permission === null) throw new HttpError(401, "Unauthorized", "Unauthorized.");
      throw new HttpError(404, "NoSuchCache", "The requested cache does not exist.");
    }
    return {
      cache,
      read: (permission?.read ?? false) || (cache.options.public ?? false),
      write: permission?.write ?? false,
      authenticated: grants !== null,
    };
  }

  function denied(authenticated: boolean): HttpError {
    return authenticated
      ? new HttpError(403, "AccessError", "Access error.")
      : new HttpError(401, "Unauthorized", "Unauthorized.");
  }

  async function cacheConfig(
    req: Request,
    name: string,
    record: (status: number) => void,
  ): Promise<Response> {
    const { cache, read, authenticated } = await access(req, name);
    if (!read) throw denied(authenticated);
    record(200);
    const endpoint = options.apiEndpoint ?? `http://${req.headers.get("host")}/`;
    return Response.json({
      substituter_endpoint: `${endpoint}${name}`,
      api_endpoint: endpoint,
      public_key: cache.publicKey,
      is_public: cache.options.public ?? false,
      store_dir: STORE_DIR,
      priority: 41,
      upstream_cache_key_names: cache.options.upstreamKeyNames ?? ["cache.nixos.org-1"],
    });
  }

  async function missingPaths(req: Request, record: (status: number) => void): Promise<Response> {
    if (!(req.headers.get("content-type") ?? "").startsWith("application/json")) {
      record(415);
      return new Response("Expected request with `Content-Type: application/json`", {
        status: 415,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(await req.text());
    } catch {
      record(400);
      return new Response("Failed to parse the request body as JSON", { status: 400 });
    }
    const shape = body as { cache?: unknown; store_path_hashes?: unknown } | null;
    if (
      typeof shape?.cache !== "string" || !Array.isArray(shape.store_path_hashes) ||
      !shape.store_path_hashes.every((h) => typeof h === "string" && HASH.test(h))
    ) {
      record(422);
      return new Response("Failed to deserialize the JSON body into the target type", {
        status: 422,
      });
    }
    const { cache, write, authenticated } = await access(req, shape.cache);
    if (!write) throw denied(authenticated);
    record(200);
    const hashes = shape.store_path_hashes as string[];
    return Response.json({ missing_paths: hashes.filter((h) => !cache.paths.has(h)) });
  }

  async function uploadPath(exchange: Exchange): Promise<Response> {
    const { req, record, connection, gone, upload } = exchange;
    if (!req.body) throw new HttpError(400, "RequestError", "The request has no body.");
    const reader = req.body.getReader();
    let pending: Uint8Array = new Uint8Array(0);
    const preambleHeader = req.headers.get("x-attic-nar-info-preamble-size");
    let infoText: string;
    if (preambleHeader !== null) {
      const size = Number(preambleHeader);
      if (!Number.isInteger(size) || size <= 0 || size > MAX_PREAMBLE) {
        throw new HttpError(400, "RequestError", `Bad preamble size ${preambleHeader}`);
      }
      while (pending.length < size) {
        const { value, done } = await reader.read();
        if (done) throw new HttpError(400, "RequestError", "The body ended inside the preamble.");
        pending = concat(pending, value);
      }
      infoText = new TextDecoder().decode(pending.subarray(0, size));
      pending = pending.subarray(size);
    } else {
      const header = req.headers.get("x-attic-nar-info");
      if (header === null) throw new HttpError(400, "RequestError", "Missing X-Attic-Nar-Info");
      infoText = header;
    }
    const info = parseInfo(infoText);
    const { cache, write, authenticated } = await access(req, info.cache);
    if (!write) throw denied(authenticated);

    const narFile = `${options.dir}/${info.cache}-${info.store_path_hash}.nar`;
    const partial = `${narFile}.${crypto.randomUUID()}.part`;
    const file = keepNars ? await Deno.open(partial, { write: true, createNew: true }) : null;
    const hash = createHash("sha256");
    let size = 0;
    upload.narBytes = 0;
    try {
      const take = async (chunk: Uint8Array) => {
        if (faults.maxBodyBytes !== undefined && size + chunk.length > faults.maxBodyBytes) {
          throw new HttpError(413, "PayloadTooLarge", "Request Entity Too Large");
        }
        const drop = faults.drop;
        if (drop && drop.times > 0 && size + chunk.length > drop.afterBytes) {
          drop.times--;
          if (connection === undefined) {
            throw new Error("Cannot drop the connection as it did not come through the proxy");
          }
          connection.cut();
          throw new NoAnswer({ dropped: true });
        }
        const stall = faults.stall;
        if (stall && stall.times > 0 && size + chunk.length > stall.afterBytes) {
          stall.times--;
          await aborted(gone); // until the client leaves or the server closes
          throw new NoAnswer({ stalled: true });
        }
        size += chunk.length;
        upload.narBytes = size;
        uploadBytes += chunk.length;
        if (network.bandwidthBps !== null) {
          // One shared link: this chunk goes after every chunk already on it.
          const now = performance.now();
          linkFreeAt = Math.max(linkFreeAt, now) + (chunk.length * 1000) / network.bandwidthBps;
          if (linkFreeAt - now >= 1) await sleep(linkFreeAt - now, gone);
          if (gone.aborted) throw new NoAnswer();
        }
        hash.update(chunk);
        if (file) {
          for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
        }
      };
      if (pending.length > 0) await take(pending);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        await take(value);
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      file?.close();
      if (file) await Deno.remove(partial).catch(() => {});
      throw error;
    }
    file?.close();
    const digest = new Uint8Array(hash.digest());
    const base32 = toNix32(digest);
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    const expected = info.nar_hash.slice("sha256:".length);
    if (size !== info.nar_size || (expected !== hex && expected !== base32)) {
      if (file) await Deno.remove(partial);
      throw new HttpError(400, "RequestError", "Bad NAR Hash or Size");
    }
    const existed = cache.paths.get(info.store_path_hash)?.narHashBase32 === base32;
    if (file) await Deno.rename(partial, narFile);
    cache.paths.set(info.store_path_hash, {
      info,
      narHashBase32: base32,
      narFile: file ? narFile : null,
    });
    storedBytes += size;
    record(200, { hash: info.store_path_hash });
    return Response.json({
      kind: existed ? "Deduplicated" : "Uploaded",
      file_size: size,
      frac_deduplicated: existed ? 1 : null,
    });
  }

  async function serveCacheFile(
    req: Request,
    match: RegExpExecArray,
    record: Recorder,
  ): Promise<Response> {
    const { cache, read, authenticated } = await access(req, decodeURIComponent(match[1]!));
    if (!read) throw denied(authenticated);
    if (match[2] === "nix-cache-info") {
      record(200);
      return new Response(`StoreDir: ${STORE_DIR}\nWantMassQuery: 1\nPriority: 41\n`);
    }
    const hash = match[3] ?? match[4]!;
    const stored = cache.paths.get(hash);
    if (stored === undefined) throw new HttpError(404, "NotFound", "The path does not exist.");
    if (match[3] !== undefined) {
      record(200);
      return new Response(await narinfo(cache, stored));
    }
    if (stored.narFile === null) {
      throw new HttpError(404, "NotFound", "The NAR was not kept (keepNars: false).");
    }
    record(200);
    return new Response((await Deno.open(stored.narFile)).readable);
  }

  async function narinfo(cache: CacheState, stored: StoredPath): Promise<string> {
    const { info } = stored;
    // Signed over the references in the order the client sent them, as the real server does;
    // Nix checks the signature over them sorted, so an unsorted upload fails only there.
    const fingerprint = `1;${info.store_path};sha256:${stored.narHashBase32};${info.nar_size};${
      info.references.map((r) => `${STORE_DIR}/${r}`).join(",")
    }`;
    const signature = new Uint8Array(
      await crypto.subtle.sign(
        "Ed25519",
        cache.keys.privateKey,
        new TextEncoder().encode(fingerprint),
      ),
    );
    const lines = [
      `StorePath: ${info.store_path}`,
      `URL: nar/${info.store_path_hash}.nar`,
      "Compression: none",
      `NarHash: sha256:${stored.narHashBase32}`,
      `NarSize: ${info.nar_size}`,
      `References: ${info.references.join(" ")}`,
      ...(info.deriver ? [`Deriver: ${info.deriver}`] : []),
      `Sig: ${cache.keyName}:${btoa(String.fromCharCode(...signature))}`,
      ...(info.ca ? [`CA: ${info.ca}`] : []),
    ];
    return lines.join("\n") + "\n";
  }

  let closed: Promise<void> | null = null;
  return {
    url: base,
    publicKey: (name) => caches.get(name)!.publicKey,
    requests,
    faults,
    stored: (name) => [...(caches.get(name)?.paths.keys() ?? [])],
    stats: () => ({ requests: { ...counts }, cacheRequests, uploadBytes, storedBytes }),
    close() {
      closed ??= (async () => {
        closing.abort(); // releases stalls and modelled waits
        await proxy.close(); // every client's connection, so no handler waits on one
        await server.shutdown();
      })();
      return closed;
    },
  };
}

/** Validates the upload info exactly as documented (and a little more strictly). */
function parseInfo(text: string): UploadInfo {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "RequestError", "The upload info is not JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "RequestError", "The upload info is not an object.");
  }
  const keys = Object.keys(value).sort();
  if (keys.join() !== INFO_KEYS.join()) {
    throw new HttpError(400, "RequestError", `The upload info has keys ${keys.join(", ")}.`);
  }
  const info = value as UploadInfo;
  const bad = (what: string) => new HttpError(400, "RequestError", `Bad upload info: ${what}`);
  if (typeof info.cache !== "string") throw bad("cache");
  if (typeof info.store_path_hash !== "string" || !HASH.test(info.store_path_hash)) {
    throw bad("store_path_hash");
  }
  // Stricter than the real server: a mismatch breaks Nix later.
  if (
    typeof info.store_path !== "string" ||
    !info.store_path.startsWith(`${STORE_DIR}/${info.store_path_hash}-`) ||
    !BASE_NAME.test(info.store_path.slice(STORE_DIR.length + 1))
  ) throw bad("store_path does not match store_path_hash");
  if (!Array.isArray(info.references) || !info.references.every((r) => BASE_NAME.test(r))) {
    throw bad("references must be base names (<hash>-<name>)");
  }
  if (info.system !== null && typeof info.system !== "string") throw bad("system");
  if (
    info.deriver !== null && (typeof info.deriver !== "string" || !BASE_NAME.test(info.deriver))
  ) {
    throw bad("deriver must be null or a base name");
  }
  if (
    !Array.isArray(info.sigs) || !info.sigs.every((s) => typeof s === "string" && s.includes(":"))
  ) {
    throw bad("sigs");
  }
  if (info.ca !== null && typeof info.ca !== "string") throw bad("ca");
  if (
    typeof info.nar_hash !== "string" ||
    !/^sha256:([0-9a-f]{64}|[0-9a-df-np-sv-z]{52})$/.test(info.nar_hash)
  ) throw bad("nar_hash must be sha256:<hex> or sha256:<nix base32>");
  if (!Number.isSafeInteger(info.nar_size) || info.nar_size <= 0) throw bad("nar_size");
  return info;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** One request being handled. */
interface Exchange {
  readonly req: Request;
  readonly url: URL;
  readonly record: Recorder;
  /** Its client's connection through the proxy. */
  readonly connection: ProxiedConnection | undefined;
  /** Aborted once no answer can reach the client (or the server closes). */
  readonly gone: AbortSignal;
  readonly upload: UploadProgress;
}

/** The NAR bytes of an upload read so far; `null` before its body is read. */
interface UploadProgress {
  narBytes: number | null;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
