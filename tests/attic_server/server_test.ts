/**
 * The Attic test server, held to the facts of notes/attic-api.md: what it
 * stores, real Nix substitutes back (so its narinfo, signatures and NARs are
 * right), and it refuses what the real server refuses — and the client bugs
 * the real one lets through.
 */

import { createHash } from "node:crypto";
import { type AtticServer, type AtticServerOptions, startAtticServer } from "./server.ts";
import { signToken } from "./tokens.ts";
import { assert, assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";
import { graphBuild, newTag, sh, storePathsOf, tempDir } from "../helpers/nix.ts";

const SECRET = "attic-ci-test-secret";

interface PathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  deriver?: string;
}

async function pathInfo(paths: string[]): Promise<PathInfo[]> {
  const out = await sh("nix", ["path-info", "--json", ...paths], {
    env: { NIX_CONFIG: "experimental-features = nix-command" },
  });
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The upload info a correct client sends for `info` (`change` breaks it on purpose). */
function uploadInfo(cache: string, info: PathInfo, change: Record<string, unknown> = {}) {
  const sri = /^sha256-(.+)$/.exec(info.narHash);
  const narHash = sri
    ? `sha256:${
      Array.from(atob(sri[1]!), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("")
    }`
    : info.narHash;
  const name = baseName(info.path);
  return {
    cache,
    store_path_hash: name.slice(0, 32),
    store_path: info.path,
    references: info.references.map(baseName).sort(),
    system: null,
    deriver: info.deriver ? baseName(info.deriver) : null,
    sigs: [],
    ca: null,
    nar_hash: narHash,
    nar_size: info.narSize,
    ...change,
  };
}

/** PUT upload-path with the NAR streamed from `nix-store --dump`. */
async function upload(
  server: AtticServer,
  token: string | null,
  info: Record<string, unknown>,
  options: { preamble?: boolean; signal?: AbortSignal } = {},
): Promise<Response> {
  const dump = new Deno.Command("nix-store", {
    args: ["--dump", info.store_path as string],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const json = JSON.stringify(info);
  const headers: Record<string, string> = token ? { authorization: `bearer ${token}` } : {};
  let body: ReadableStream<Uint8Array> = dump.stdout;
  if (options.preamble) {
    const preamble = new TextEncoder().encode(json);
    headers["x-attic-nar-info-preamble-size"] = String(preamble.length);
    body = new Blob([preamble]).stream().pipeThrough(
      new TransformStream({
        flush: async (controller) => {
          for await (const chunk of dump.stdout) controller.enqueue(chunk);
        },
      }),
    );
  } else {
    headers["x-attic-nar-info"] = json;
  }
  try {
    return await fetch(`${server.url}_api/v1/upload-path`, {
      method: "PUT",
      headers,
      body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    try {
      dump.kill();
    } catch { /* ended */ }
    await dump.status;
  }
}

async function missing(server: AtticServer, token: string | null, cache: string, hashes: string[]) {
  return await fetch(`${server.url}_api/v1/get-missing-paths`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ cache, store_path_hashes: hashes }),
  });
}

/** A synthetic NAR: `size` bytes the server only hashes, and correct upload info for them. */
interface SyntheticNar {
  readonly size: number;
  readonly info: ReturnType<typeof uploadInfo>;
  /** A new stream of its bytes, in 64 KiB chunks. */
  body(): ReadableStream<Uint8Array>;
}

const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";

function syntheticNar(cache: string, size: number, seed = 1): SyntheticNar {
  const block = new Uint8Array(64 * 1024);
  let state = seed;
  for (let i = 0; i < block.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    block[i] = state >>> 24;
  }
  const chunks = function* () {
    for (let sent = 0; sent < size; sent += block.length) {
      yield block.slice(0, Math.min(block.length, size - sent));
    }
  };
  const hash = createHash("sha256");
  for (const chunk of chunks()) hash.update(chunk);
  const random = crypto.getRandomValues(new Uint8Array(32));
  const storeHash = Array.from(random, (b) => NIX32[b % 32]).join("");
  return {
    size,
    info: uploadInfo(cache, {
      path: `/nix/store/${storeHash}-synthetic-${size}`,
      narHash: `sha256:${hash.digest("hex")}`,
      narSize: size,
      references: [],
    }),
    body: () => ReadableStream.from(chunks()),
  };
}

/** PUT upload-path with a synthetic NAR as a streamed (chunked) body. */
async function putNar(
  server: AtticServer,
  token: string,
  nar: SyntheticNar,
  options: { preamble?: boolean; signal?: AbortSignal } = {},
): Promise<Response> {
  const json = JSON.stringify(nar.info);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body = nar.body();
  if (options.preamble) {
    const preamble = new TextEncoder().encode(json);
    headers["x-attic-nar-info-preamble-size"] = String(preamble.length);
    const rest = body;
    body = ReadableStream.from((async function* () {
      yield preamble;
      yield* rest;
    })());
  } else {
    headers["x-attic-nar-info"] = json;
  }
  // `duplex: "half"`, as the Fetch standard asks of a stream body (Deno's RequestInit lacks it).
  const init: RequestInit & { duplex: "half" } = {
    method: "PUT",
    headers,
    body,
    duplex: "half",
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return await fetch(`${server.url}_api/v1/upload-path`, init);
}

/** Waits until `condition` holds, polling; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    assert(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withServer(
  fn: (server: AtticServer, built: PathInfo[], dir: string) => Promise<void>,
  build = true,
  options: Partial<AtticServerOptions> = {},
) {
  const dir = await tempDir("attic-ci-server-");
  const server = await startAtticServer({
    secret: SECRET,
    caches: { main: {}, open: { public: true } },
    dir: `${dir}/nars`,
    ...options,
  });
  try {
    let built: PathInfo[] = [];
    if (build) {
      const tag = newTag("srv");
      const out = await sh(graphBuild(tag, { width: 3, depth: 2, sleep: "0" })[0]!, [
        ...graphBuild(tag, { width: 3, depth: 2, sleep: "0" }).slice(1),
        "--no-out-link",
      ]);
      assertEquals(out.code, 0, out.stderr);
      built = await pathInfo((await storePathsOf(tag)).valid);
    }
    await fn(server, built, `${dir}/nars`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("what a correct client uploads, Nix substitutes back over HTTP and verifies by the server's key", async () => {
  await withServer(async (server, built) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const hashes = built.map((info) => baseName(info.path).slice(0, 32));
    const before = await (await missing(server, token, "main", hashes)).json();
    assertEquals(before.missing_paths.sort(), [...hashes].sort());
    for (const [i, info] of built.entries()) {
      const response = await upload(server, token, uploadInfo("main", info), {
        preamble: i % 2 === 0,
      });
      assertEquals(response.status, 200, await response.clone().text());
      assertEquals((await response.json()).kind, "Uploaded");
    }
    assertEquals((await (await missing(server, token, "main", hashes)).json()).missing_paths, []);

    const paths = built.map((info) => info.path);
    const deleted = await sh("nix-store", ["--delete", ...paths]);
    assertEquals(deleted.code, 0, deleted.stderr);
    const netrc = `${await tempDir()}/netrc`;
    await Deno.writeTextFile(netrc, `machine 127.0.0.1 password ${token}\n`);
    const back = await sh("nix-store", [
      "-r",
      ...paths,
      "--option",
      "substituters",
      `${server.url}main`,
      "--option",
      "trusted-public-keys",
      server.publicKey("main"),
      "--option",
      "netrc-file",
      netrc,
      "--max-jobs",
      "0",
    ]);
    assertEquals(back.code, 0, back.stderr);
    const valid = await sh("nix-store", ["--check-validity", ...paths]);
    assertEquals(valid.code, 0, valid.stderr);
  });
});

Deno.test("unsorted references are accepted at upload and refused by Nix's signature check, as with the real server", async () => {
  await withServer(async (server, built) => {
    const token = await signToken(SECRET, { open: { r: 1, w: 1 } });
    const root = built.find((info) => info.path.endsWith("-all"))!; // nothing refers to it
    assert(root.references.length >= 2, "the graph's root references two outputs or more");
    const info = uploadInfo("open", root);
    const response = await upload(server, token, {
      ...info,
      references: [...info.references].reverse(),
    });
    assertEquals(response.status, 200);
    const narinfo = await (await fetch(`${server.url}open/${info.store_path_hash}.narinfo`)).text();
    assertIncludes(narinfo, `References: ${[...info.references].reverse().join(" ")}`);
    const deleted = await sh("nix-store", ["--delete", root.path]);
    assertEquals(deleted.code, 0, deleted.stderr);
    const back = await sh("nix-store", [
      "-r",
      root.path,
      "--option",
      "substituters",
      `${server.url}open`,
      "--option",
      "trusted-public-keys",
      server.publicKey("open"),
      "--max-jobs",
      "0",
    ]);
    assert(back.code !== 0, "Nix must refuse it");
    assertIncludes(back.stderr, "signed");
  });
});

Deno.test("tokens: push needs w, cache-config needs r (or a public cache); a bad, expired or boolean-valued token is no token", async () => {
  await withServer(async (server) => {
    const hashes = ["0".repeat(32)];
    const status = async (token: string | null, cache = "main") =>
      (await missing(server, token, cache, hashes)).status;
    const config = async (token: string | null, cache = "main") =>
      (await fetch(`${server.url}_api/v1/cache-config/${cache}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })).status;
    const rw = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const readOnly = await signToken(SECRET, { main: { r: 1 } });
    const pushOnly = await signToken(SECRET, { "ma*": { w: 1 } });
    assertEquals(await status(rw), 200);
    assertEquals(await status(null), 401);
    assertEquals(await status(readOnly), 403);
    assertEquals(await status(pushOnly), 200, "a pattern grants it");
    assertEquals(await config(pushOnly), 403, "push-only tokens cannot read the cache config");
    assertEquals(await config(readOnly), 200);
    assertEquals(await config(null, "open"), 200, "a public cache");
    assertEquals(await status(await signToken(SECRET, { main: { r: 1, w: 1 } }, -5)), 401);
    assertEquals(await status(await signToken("another secret", { main: { w: 1 } })), 401);
    const boolean = await signToken(SECRET, { main: { w: true as unknown as 1 } });
    assertEquals(await status(boolean), 401);
    assertEquals(await status(await signToken(SECRET, { "*": { w: 1 } }), "nope"), 404);
    assertEquals(await status(rw, "nope"), 401, "the name is not even visible");
    const basic = `Basic ${btoa(`user:${rw}`)}`;
    const viaNetrc = await fetch(`${server.url}_api/v1/get-missing-paths`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basic },
      body: JSON.stringify({ cache: "main", store_path_hashes: hashes }),
    });
    assertEquals(viaNetrc.status, 200);
  }, false);
});

Deno.test("get-missing-paths refuses a wrong content type, bad JSON and a wrong shape in plain text", async () => {
  await withServer(async (server) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const post = (body: string, type = "application/json") =>
      fetch(`${server.url}_api/v1/get-missing-paths`, {
        method: "POST",
        headers: { "content-type": type, authorization: `bearer ${token}` },
        body,
      });
    assertEquals((await post("{}", "text/plain")).status, 415);
    assertEquals((await post("{")).status, 400);
    const shape = await post(
      JSON.stringify({ cache: "main", store_path_hashes: ["/nix/store/x"] }),
    );
    assertEquals(shape.status, 422);
  }, false);
});

Deno.test("upload-path refuses bad info before the body, and a body whose hash or size is wrong", async () => {
  await withServer(async (server, built) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const info = built[0]!;
    const refused = async (change: Record<string, unknown>, part: string) => {
      const response = await upload(server, token, uploadInfo("main", info, change));
      const body = await response.json();
      assertEquals([response.status, body.error], [400, "RequestError"], JSON.stringify(change));
      assertIncludes(body.message, part);
    };
    await refused({ nar_hash: info.narHash }, "nar_hash"); // SRI, as newer Nix prints it
    await refused({ references: [info.path] }, "references must be base names");
    await refused(
      { store_path: `/nix/store/${"1".repeat(32)}-other` },
      "store_path does not match",
    );
    await refused({ nar_size: info.narSize + 1 }, "Bad NAR Hash or Size");
    await refused({ extra: 1 }, "has keys");
    const { ca: _, ...missingKey } = uploadInfo("main", info);
    const response = await upload(server, token, missingKey);
    assertEquals(response.status, 400);
    await response.body?.cancel();
    assertEquals(server.stored("main"), []);
    const noWrite = await upload(
      server,
      await signToken(SECRET, { main: { r: 1 } }),
      uploadInfo("main", info),
    );
    assertEquals(noWrite.status, 403);
    await noWrite.body?.cancel();
  });
});

Deno.test("faults: injected 429 with Retry-After and 503, and a body limit (413)", async () => {
  await withServer(async (server, built) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const info = uploadInfo("main", built[0]!);
    server.faults.fail = { status: 429, times: 1, retryAfter: 2, route: "upload-path" };
    const limited = await upload(server, token, info);
    assertEquals([limited.status, limited.headers.get("retry-after")], [429, "2"]);
    await limited.body?.cancel();
    server.faults.fail = { status: 503, times: 1 };
    assertEquals((await missing(server, token, "main", [info.store_path_hash])).status, 503);
    const uploaded = await upload(server, token, info);
    assertEquals(uploaded.status, 200);
    await uploaded.body?.cancel();

    server.faults.maxBodyBytes = 10;
    const tooLarge = await upload(server, token, info);
    assertEquals(tooLarge.status, 413);
    await tooLarge.body?.cancel();
    delete server.faults.maxBodyBytes;
    const uploads = server.requests.filter((r) => r.path.endsWith("upload-path"));
    assertEquals(uploads.map((r) => r.status), [429, 200, 413]);
  });
});

Deno.test("faults: a stall never answers; it ends when its client gives up, or on close()", async () => {
  await withServer(async (server) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const nar = syntheticNar("main", 256 * 1024);
    server.faults.stall = { afterBytes: 1000, times: 1 };
    const outcome = await putNar(server, token, nar, { signal: AbortSignal.timeout(500) }).then(
      () => "answered",
      (error: Error) => error.name,
    );
    assertEquals(outcome, "TimeoutError");
    assertEquals(server.faults.stall.times, 0);
    await until(() => server.requests.some((r) => r.stalled), "the stall ends with its client");
    const stalled = server.requests.find((r) => r.stalled)!;
    assertEquals(stalled.status, 0);
    assert(stalled.narBytes! <= 1000, `read ${stalled.narBytes} bytes`);
    const next = await putNar(server, token, nar);
    assertEquals(next.status, 200, await next.text());
    assertEquals(server.stored("main"), [nar.info.store_path_hash]);

    server.faults.stall = { afterBytes: 0, times: 1 };
    const held = putNar(server, token, syntheticNar("main", 1000)).then(
      () => "answered",
      (error: Error) => error.name,
    );
    await until(() => server.faults.stall?.times === 0, "the second stall starts");
    await server.close();
    assertEquals(await held, "TypeError");
    assertEquals(server.requests.filter((r) => r.stalled && r.status === 0).length, 2);
  }, false);
});

Deno.test("faults: a drop cuts the connection mid-body, a network error (TypeError) to fetch; the next upload succeeds", async () => {
  await withServer(async (server, _, dir) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const nar = syntheticNar("main", 1024 * 1024);
    server.faults.drop = { afterBytes: 64 * 1024, times: 1 };
    const error = await putNar(server, token, nar).then(() => null, (error: Error) => error);
    assert(error instanceof TypeError, `a network error, not ${error}`);
    assertEquals(server.faults.drop.times, 0);
    await until(() => server.requests.some((r) => r.dropped), "the dropped upload is recorded");
    const dropped = server.requests.find((r) => r.dropped)!;
    assertEquals(dropped.status, 0);
    assert(dropped.narBytes! <= 64 * 1024, `read ${dropped.narBytes} bytes`);
    assertEquals(server.stored("main"), []);

    const again = await putNar(server, token, nar);
    assertEquals(again.status, 200, await again.text());
    assertEquals(server.stored("main"), [nar.info.store_path_hash]);
    const files = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assertEquals(files, [`main-${nar.info.store_path_hash}.nar`], "no partial file is left");
  }, false);
});

Deno.test("network model: each API request waits the latency, uploads share the bandwidth; stats() counts them", async () => {
  const latencyMs = 150;
  const bandwidthBps = 1024 * 1024;
  const size = 256 * 1024;
  await withServer(
    async (server) => {
      const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
      const elapsed = async <T>(fn: () => Promise<T>) => {
        const start = performance.now();
        await fn();
        return performance.now() - start;
      };
      const config = await elapsed(async () => {
        const response = await fetch(`${server.url}_api/v1/cache-config/main`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assertEquals(response.status, 200);
        await response.body?.cancel();
      });
      // Loose: at least the model's delay (1 ms for clock rounding), never an upper bound.
      assert(config >= latencyMs - 1, `cache-config took ${config} ms`);
      const put = async (seed: number) => {
        const response = await putNar(server, token, syntheticNar("main", size, seed));
        assertEquals(response.status, 200, await response.text());
      };
      const one = await elapsed(() => put(1));
      const transfer = (size * 1000) / bandwidthBps;
      assert(one >= latencyMs + transfer - 1, `one upload took ${one} ms`);
      const two = await elapsed(() => Promise.all([put(2), put(3)]));
      assert(two >= latencyMs + 2 * transfer - 1, `two uploads at once took ${two} ms`);
      assertEquals(server.stats(), {
        requests: { "cache-config": 1, "get-missing-paths": 0, "upload-path": 3 },
        cacheRequests: 0,
        uploadBytes: 3 * size,
        storedBytes: 3 * size,
      });
    },
    false,
    { network: { latencyMs, bandwidthBps } },
  );
});

Deno.test("startAtticServer() refuses a network model with a negative latency or no bandwidth", async () => {
  const options = { secret: SECRET, caches: {}, dir: "/nonexistent/attic-ci-server" };
  await assertRejects(
    () => startAtticServer({ ...options, network: { latencyMs: -1, bandwidthBps: null } }),
    "network.latencyMs must be 0 or more: current value is -1",
  );
  await assertRejects(
    () => startAtticServer({ ...options, network: { latencyMs: 0, bandwidthBps: 0 } }),
    "network.bandwidthBps must be positive or null: current value is 0",
  );
});

Deno.test("keepNars: false checks a large chunked upload but keeps no NAR: its narinfo is served, its NAR is 404", async () => {
  await withServer(
    async (server, _, dir) => {
      const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
      const nar = syntheticNar("main", 64 * 1024 * 1024);
      const response = await putNar(server, token, nar, { preamble: true });
      assertEquals(response.status, 200, await response.clone().text());
      assertEquals((await response.json()).file_size, nar.size);
      const headers = { authorization: `Bearer ${token}` };
      const narinfo = await fetch(`${server.url}main/${nar.info.store_path_hash}.narinfo`, {
        headers,
      });
      assertEquals(narinfo.status, 200);
      assertIncludes(await narinfo.text(), `NarSize: ${nar.size}`);
      const file = await fetch(`${server.url}main/nar/${nar.info.store_path_hash}.nar`, {
        headers,
      });
      assertEquals(file.status, 404);
      await file.body?.cancel();

      const wrong = { ...nar, info: { ...nar.info, nar_size: nar.size + 1 } };
      const refused = await putNar(server, token, wrong);
      assertEquals(refused.status, 400);
      assertIncludes((await refused.json()).message, "Bad NAR Hash or Size");
      assertEquals([...Deno.readDirSync(dir)], [], "nothing written");
      assertEquals(server.stats().uploadBytes, 2 * nar.size);
    },
    false,
    { keepNars: false },
  );
});

Deno.test("upload-path takes a body in chunked transfer encoding, in chunks of any size", async () => {
  await withServer(async (server) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const nar = syntheticNar("main", 100_000);
    const bytes = new Uint8Array(await new Response(nar.body()).arrayBuffer());
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(new URL(server.url).port),
    });
    const encoder = new TextEncoder();
    const head = [
      "PUT /_api/v1/upload-path HTTP/1.1",
      `Host: ${new URL(server.url).host}`,
      `Authorization: Bearer ${token}`,
      `X-Attic-Nar-Info: ${JSON.stringify(nar.info)}`,
      "Transfer-Encoding: chunked",
      "Connection: close",
      "",
      "",
    ].join("\r\n");
    const write = async (data: Uint8Array) => {
      for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
    };
    await write(encoder.encode(head));
    for (const [from, to] of [[0, 1], [1, 4094], [4094, 70_000], [70_000, 100_000]] as const) {
      await write(encoder.encode(`${(to - from).toString(16)}\r\n`));
      await write(bytes.subarray(from, to));
      await write(encoder.encode("\r\n"));
    }
    await write(encoder.encode("0\r\n\r\n"));
    const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert(answer.startsWith("HTTP/1.1 200 "), answer);
    assertEquals(server.stored("main"), [nar.info.store_path_hash]);
  }, false);
});
