/**
 * The built-in client against the Attic test server, request by request:
 * what it retries (503, 429 after the server's Retry-After, a stalled upload,
 * a dropped connection) and what it does not; a stall is told from a slow
 * upload that keeps moving; the advertised `api_endpoint` is followed unless the configured
 * endpoint is kept. Real store paths, NARs from the real `nix-store --dump`.
 */

import { AtticApi, type AtticApiOptions } from "../../src/attic/attic_api.ts";
import type { AtticApiError } from "../../src/attic/api_error.ts";
import { storePathHash, uploadInfo } from "../../src/attic/upload_info.ts";
import { NixPathInfoReader } from "../../src/store/path_info.ts";
import type { Clock } from "../../src/system/clock.ts";
import { systemClock } from "../../src/system/clock.ts";
import type { HttpClient } from "../../src/system/system.ts";
import { assert, assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";
import { type ApiWorld, apiWorld } from "../helpers/attic_api.ts";
import { CACHE } from "../helpers/attic.ts";
import { testSystem } from "../helpers/context.ts";
import { sh } from "../helpers/nix.ts";

/** A real clock that remembers every timer it was asked for (to see the waits). */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => systemClock.now(),
    setTimeout: (fn, ms) => {
      waits.push(ms);
      return systemClock.setTimeout(fn, ms);
    },
    clearTimeout: (handle) => systemClock.clearTimeout(handle),
  };
}

/** A fresh store path holding `bytes` bytes (a new file each time: never in the cache yet). */
async function addFile(dir: string, bytes: number): Promise<string> {
  const file = `${dir}/blob-${crypto.randomUUID()}`;
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data.subarray(0, Math.min(bytes, 65_536)));
  await Deno.writeFile(file, data);
  const added = await sh("nix-store", ["--add", file]);
  assertEquals(added.code, 0, added.stderr);
  return added.stdout.trim();
}

function client(world: ApiWorld, options: Partial<AtticApiOptions> = {}, http?: HttpClient) {
  const system = testSystem();
  const retried: string[] = [];
  const api = new AtticApi(http ?? system, system, {
    server: world.server.url,
    cache: CACHE,
    token: world.token,
    tokenSource: "ATTIC_TOKEN",
    retryDelayMs: 50,
    clock: systemClock,
    onRetry: (request, attempt, error: AtticApiError) =>
      retried.push(`${request} ${attempt}: ${error.message}`),
    ...options,
  });
  return { api, retried, infos: new NixPathInfoReader(system) };
}

async function upload(c: ReturnType<typeof client>, path: string) {
  const [info] = await c.infos.closure([path]);
  return await c.api.uploadPath(uploadInfo(CACHE, info!));
}

Deno.test("503s on get-missing-paths are retried with backoff until the answer comes", async () => {
  const world = await apiWorld();
  try {
    const path = await addFile(world.dir, 100);
    const c = client(world);
    world.server.faults.fail = { status: 503, times: 2, route: "get-missing-paths" };
    const missing = await c.api.missingPaths([storePathHash(path)]);
    assertEquals([...missing], [storePathHash(path)]);
    assertEquals(c.api.retries, 2);
    assertEquals(c.retried.length, 2);
    assertIncludes(c.retried[0]!, "get-missing-paths 1: get-missing-paths: a server error (503");
  } finally {
    await world.dispose();
  }
});

Deno.test("a 429 is retried after exactly the server's Retry-After, without jitter", async () => {
  const world = await apiWorld();
  try {
    const path = await addFile(world.dir, 100);
    const clock = recordingClock();
    const c = client(world, { clock });
    world.server.faults.fail = { status: 429, times: 1, retryAfter: 1, route: "upload-path" };
    assertEquals(await upload(c, path), "Uploaded");
    assertEquals(c.api.retries, 1);
    assert(clock.waits.includes(1_000), `waited ${clock.waits.join(", ")} ms`);
    assert(world.stored().has(storePathHash(path)));
  } finally {
    await world.dispose();
  }
});

Deno.test("a stalled upload is abandoned after the stall timeout and uploaded again", async () => {
  const world = await apiWorld();
  try {
    const path = await addFile(world.dir, 100_000);
    const c = client(world, { stallTimeoutMs: 500 });
    world.server.faults.stall = { afterBytes: 1_000, times: 1 };
    assertEquals(await upload(c, path), "Uploaded");
    assertEquals(c.api.retries, 1);
    assertIncludes(c.retried[0]!, "no progress for 0.5 s");
    assert(world.server.requests.some((r) => r.stalled), "the server saw the stall");
    assert(world.stored().has(storePathHash(path)));
  } finally {
    await world.dispose();
  }
});

Deno.test("a connection dropped mid-body is retried with a fresh dump of the NAR", async () => {
  const world = await apiWorld();
  try {
    const path = await addFile(world.dir, 2_000_000); // over the in-process limit: nix-store --dump
    const c = client(world);
    world.server.faults.drop = { afterBytes: 100_000, times: 2 };
    assertEquals(await upload(c, path), "Uploaded");
    assertEquals(c.api.retries, 2);
    assertIncludes(c.retried[0]!, "upload-path: cannot reach");
    assertEquals(world.server.requests.filter((r) => r.dropped).length, 2);
    assert(world.stored().has(storePathHash(path)));
  } finally {
    await world.dispose();
  }
});

Deno.test("retries end: a server that keeps failing gives one error after --retries attempts", async () => {
  const world = await apiWorld();
  try {
    const c = client(world, { retries: 2 });
    world.server.faults.fail = { status: 502, times: 10, route: "get-missing-paths" };
    const error = await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "(502");
    assertEquals((error as AtticApiError).retryable, true);
    assertEquals(c.api.retries, 2);
    assertEquals(world.server.faults.fail.times, 7, "three attempts in all");
  } finally {
    await world.dispose();
  }
});

Deno.test("413 from a proxy's body limit is not retried and gives the limit advice", async () => {
  const world = await apiWorld();
  try {
    const path = await addFile(world.dir, 200_000);
    const c = client(world);
    world.server.faults.maxBodyBytes = 50_000;
    await assertRejects(() => upload(c, path), "client_max_body_size");
    assertEquals(c.api.retries, 0);
  } finally {
    await world.dispose();
  }
});

Deno.test("the advertised api_endpoint is followed, unless the configured endpoint is kept", async () => {
  // The server advertises an endpoint nobody listens on, as behind a path-prefix proxy.
  const world = await apiWorld({ server: { apiEndpoint: "http://127.0.0.1:9/" } });
  try {
    const hash = "0".repeat(32);
    const follows = client(world, { retries: 0 });
    await assertRejects(() => follows.api.missingPaths([hash]), "cannot reach");
    const keeps = client(world, { keepEndpoint: true });
    assertEquals([...(await keeps.api.missingPaths([hash]))], [hash]);
  } finally {
    await world.dispose();
  }
});

/**
 * An HTTP client that reads an upload's body one chunk per `everyMs` (a slow
 * link that keeps moving) — or, on the first upload, stops reading after
 * `stallAfter` chunks (a stall) — then answers as the server does. It shows
 * what the real server cannot on loopback, where socket buffers hide how
 * slowly a peer reads; other requests go to the real server.
 */
function slowLink(everyMs: number, stallAfter = Infinity): HttpClient & { uploads: number } {
  const link = {
    uploads: 0,
    async fetch(input: string | URL, init?: RequestInit): Promise<Response> {
      if (!String(input).endsWith("/upload-path")) return await fetch(input, init);
      const stallAt = link.uploads++ === 0 ? stallAfter : Infinity;
      const reader = (init!.body as ReadableStream<Uint8Array>).getReader();
      const signal = init!.signal!;
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason), { once: true })
      );
      for (let chunks = 0;; chunks++) {
        if (chunks >= stallAt) await aborted;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, everyMs)), aborted]);
        if ((await reader.read()).done) break;
      }
      return Response.json({ kind: "Uploaded", file_size: 0, frac_deduplicated: null });
    },
  };
  return link;
}

Deno.test("a slow upload that keeps moving outlives the stall timeout; one that stops moving does not", async () => {
  const world = await apiWorld();
  try {
    const path = await addFile(world.dir, 1_000_000); // 16 or more chunks from nix-store --dump
    const slow = slowLink(100);
    const moving = client(world, { stallTimeoutMs: 500 }, slow);
    const started = Date.now();
    assertEquals(await upload(moving, path), "Uploaded");
    assert(Date.now() - started > 1_500, "the upload took three stall timeouts and more");
    assertEquals([moving.api.retries, slow.uploads], [0, 1], moving.retried.join("\n"));

    const stalling = slowLink(100, 3);
    const stalled = client(world, { stallTimeoutMs: 500 }, stalling);
    assertEquals(await upload(stalled, path), "Uploaded");
    assertEquals([stalled.api.retries, stalling.uploads], [1, 2]);
    assertIncludes(stalled.retried[0]!, "no progress for 0.5 s");
  } finally {
    await world.dispose();
  }
});

Deno.test("a server down through every retry fails later requests at once for a while, then is tried again", async () => {
  const world = await apiWorld();
  try {
    let offset = 0;
    const clock: Clock = { ...systemClock, now: () => systemClock.now() + offset };
    let calls = 0;
    const down: HttpClient = {
      fetch: () => {
        calls++;
        return Promise.reject(new TypeError("connection refused"));
      },
    };
    const c = client(world, { retries: 1, retryDelayMs: 10, clock }, down);
    await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "cannot reach");
    assertEquals(calls, 2, "one request and its retry");
    await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "cannot reach");
    assertEquals(calls, 2, "failed at once, without a request");
    offset = 31_000;
    await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "cannot reach");
    assertEquals(calls, 4, "tried again once the pause was over");
  } finally {
    await world.dispose();
  }
});

Deno.test("a request refused during the pause says why it was not sent; forgetting the pause sends the next one at once", async () => {
  const world = await apiWorld();
  try {
    let calls = 0;
    const down: HttpClient = {
      fetch: () => {
        calls++;
        return Promise.reject(new TypeError("connection refused"));
      },
    };
    const c = client(world, { retries: 0 }, down);
    await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "cannot reach");
    const paused = await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "not sent");
    assertIncludes(
      paused.message,
      "failed a request through every retry (cache-config: cannot reach",
    );
    assertIncludes(paused.message, "asked again in 30 s");
    assertEquals(calls, 1, "the paused request was not sent");
    c.api.forgetUnavailable();
    await assertRejects(() => c.api.missingPaths(["0".repeat(32)]), "cannot reach");
    assertEquals(calls, 2, "sent at once after the pause was forgotten");
  } finally {
    await world.dispose();
  }
});
