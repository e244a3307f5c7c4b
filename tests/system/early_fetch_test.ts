/**
 * An early request is an earlier copy of a request the program makes anyway:
 * its twin (same method, URL and headers) gets its response, once; every
 * other request is sent as usual; the twin's signal governs it; if it failed,
 * the twin is sent again; untaken, it is abandoned. Against a real local HTTP
 * server, with the platform's `fetch`.
 */

import { EarlyFetch } from "../../src/system/early_fetch.ts";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";

/** A local server that counts requests and answers each with its number; `/slow` waits for `release`. */
function countingServer() {
  let count = 0;
  const seen: { path: string; agent: string | null }[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const n = ++count;
    const path = new URL(req.url).pathname;
    seen.push({ path, agent: req.headers.get("user-agent") });
    if (path === "/slow") await released;
    return new Response(`answer ${n}`);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    base,
    seen,
    count: () => count,
    release,
    close: async () => {
      release();
      await server.shutdown();
    },
  };
}

const HEADERS = { authorization: "bearer t0ken", "user-agent": "attic-ci/test" };

Deno.test("the early request's twin gets the early response, once; the next identical request is sent", async () => {
  const server = countingServer();
  try {
    const url = `${server.base}/_api/v1/cache-config/main`;
    const early = new EarlyFetch({ url, headers: HEADERS });
    await early.departure();
    assert(early.pending, "waiting for its twin");
    // The twin may spell its headers in any case and order, and its URL as a URL.
    const twin = await early.fetch(new URL(url), {
      headers: { "User-Agent": "attic-ci/test", Authorization: "bearer t0ken" },
    });
    assertEquals(await twin.text(), "answer 1");
    assertEquals(server.count(), 1, "one request reached the server for the two");
    assert(!early.pending, "taken");
    const again = await early.fetch(url, { headers: HEADERS });
    assertEquals(await again.text(), "answer 2");
    assertEquals(server.count(), 2);
  } finally {
    await server.close();
  }
});

Deno.test("any other request is sent as usual and leaves the early response waiting, until it is abandoned", async () => {
  const server = countingServer();
  try {
    const url = `${server.base}/early`;
    const early = new EarlyFetch({ url, headers: HEADERS });
    const others: [string, RequestInit][] = [
      [`${server.base}/other`, { headers: HEADERS }],
      [url, { headers: { ...HEADERS, authorization: "bearer another" } }],
      [url, { headers: { "user-agent": "attic-ci/test" } }],
      [url, { headers: { ...HEADERS, "content-type": "application/json" } }],
      [url, { method: "POST", headers: HEADERS, body: "{}" }],
    ];
    for (const [input, init] of others) {
      const response = await early.fetch(input, init);
      assertEquals(response.status, 200);
      await response.body?.cancel();
      assert(early.pending, `${init.method ?? "GET"} ${input} was not taken for the twin`);
    }
    // The early request and the five others.
    while (server.count() < 6) await new Promise((r) => setTimeout(r, 5));
    early.abandon();
    assert(!early.pending, "abandoned");
    // Abandoned, its twin is simply sent.
    const twin = await early.fetch(url, { headers: HEADERS });
    assertEquals(await twin.text(), "answer 7");
  } finally {
    await server.close();
  }
});

Deno.test("the twin's signal governs the early request: already aborted, or aborted while the answer is awaited", async () => {
  const server = countingServer();
  try {
    const url = `${server.base}/slow`;
    const first = new EarlyFetch({ url, headers: HEADERS });
    const gone = AbortSignal.abort(new Error("cancelled before asking"));
    await assertRejects(
      () => first.fetch(url, { headers: HEADERS, signal: gone }),
      "cancelled before asking",
    );

    const second = new EarlyFetch({ url, headers: HEADERS });
    const controller = new AbortController();
    const answer = second.fetch(url, { headers: HEADERS, signal: controller.signal });
    controller.abort(new Error("the attempt timed out"));
    await assertRejects(() => answer, "the attempt timed out");
    // Neither twin was sent on its own: a cancelled request is not retried here (its caller
    // decides); at most the two early requests reached the server.
    const slow = server.seen.filter((r) => r.path === "/slow").length;
    assert(slow <= 2, `${slow} requests reached /slow`);
  } finally {
    await server.close();
  }
});

Deno.test("an early request that failed (nothing listening yet) leaves its twin to be sent as if it had never been", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const url = `http://127.0.0.1:${port}/_api/v1/cache-config/main`;
  const sent: Promise<Response>[] = [];
  const early = new EarlyFetch({ url, headers: HEADERS }, (input, init) => {
    const response = fetch(input, init);
    sent.push(response);
    return response;
  });
  const refused = await assertRejects(() => sent[0]!);
  assert(refused instanceof TypeError, `a network error: ${refused}`);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    () => new Response("from the server that came up"),
  );
  try {
    const twin = await early.fetch(url, { headers: HEADERS });
    assertEquals(await twin.text(), "from the server that came up");
    assertEquals(sent.length, 2, "the early request, refused, and its twin");
  } finally {
    await server.shutdown();
  }
});
