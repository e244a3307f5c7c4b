/**
 * The Attic test server, held to the facts of notes/attic-api.md: what it
 * stores, real Nix substitutes back (so its narinfo, signatures and NARs are
 * right), and it refuses what the real server refuses — and the client bugs
 * the real one lets through.
 */

import { type AtticServer, startAtticServer } from "./server.ts";
import { signToken } from "./tokens.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
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

async function withServer(
  fn: (server: AtticServer, built: PathInfo[]) => Promise<void>,
  build = true,
) {
  const dir = await tempDir("attic-ci-server-");
  const server = await startAtticServer({
    secret: SECRET,
    caches: { main: {}, open: { public: true } },
    dir: `${dir}/nars`,
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
    await fn(server, built);
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

Deno.test("faults: injected 429 with Retry-After and 503, a body limit (413), and a stall that never answers", async () => {
  await withServer(async (server, built) => {
    const token = await signToken(SECRET, { main: { r: 1, w: 1 } });
    const info = uploadInfo("main", built[0]!);
    server.faults.fail = { status: 429, times: 1, retryAfter: 2, route: "upload-path" };
    const limited = await upload(server, token, info);
    assertEquals([limited.status, limited.headers.get("retry-after")], [429, "2"]);
    await limited.body?.cancel();
    server.faults.fail = { status: 503, times: 1 };
    assertEquals((await missing(server, token, "main", [info.store_path_hash])).status, 503);
    assertEquals((await upload(server, token, info)).status, 200);

    server.faults.maxBodyBytes = 10;
    const tooLarge = await upload(server, token, info);
    assertEquals(tooLarge.status, 413);
    await tooLarge.body?.cancel();
    delete server.faults.maxBodyBytes;

    server.faults.stallAfterBytes = 10;
    const timeout = AbortSignal.timeout(1_000);
    const stalled = await upload(server, token, info, { signal: timeout }).then(
      () => "answered",
      (error: Error) => error.name,
    );
    assertEquals(stalled, "TimeoutError");
    delete server.faults.stallAfterBytes;
    const uploads = server.requests.filter((r) => r.path.endsWith("upload-path"));
    assertEquals(uploads.map((r) => r.status), [429, 200, 413]);
  });
});
