/**
 * What the Attic server's answers mean to a user: one line that says what is
 * wrong and what to do, whether a retry can help, and whether every later
 * push will fail the same way. The token never appears: messages name its
 * variable.
 */

import { httpFailure, type RequestContext, retryAfterMs } from "../../src/attic/api_error.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";

const CONTEXT: RequestContext = {
  request: "get-missing-paths",
  cache: "main",
  server: "https://attic.example.com/",
  tokenSource: "ATTIC_TOKEN",
};

Deno.test("401, 403 and 404 are not retried, stop every later push, and say how to fix the token or cache", () => {
  const unauthorized = httpFailure(
    401,
    '{"code":401,"error":"Unauthorized","message":"x"}',
    CONTEXT,
  );
  assertIncludes(unauthorized.message, "did not accept the token in ATTIC_TOKEN");
  assertIncludes(unauthorized.message, "expired");
  const noRead = httpFailure(403, "", { ...CONTEXT, request: "cache-config" });
  assertIncludes(noRead.message, "may not read cache main (the pull permission, r)");
  const noWrite = httpFailure(403, "", CONTEXT);
  assertIncludes(noWrite.message, "may not push to cache main (the push permission, w)");
  const missing = httpFailure(404, '{"code":404,"error":"NoSuchCache","message":"gone"}', CONTEXT);
  assertIncludes(missing.message, "cache main does not exist on https://attic.example.com/");
  assertIncludes(missing.message, "NoSuchCache: gone");
  for (const error of [unauthorized, noRead, noWrite]) {
    assertIncludes(error.message, "`atticadm make-token --pull main --push main`");
  }
  for (const error of [unauthorized, noRead, noWrite, missing]) {
    assertEquals([error.retryable, error.refusesAll], [false, true], error.message);
    assert(!error.message.includes("\n"), "one line");
  }
});

Deno.test("413 names the path, its NAR size and the proxy's body limit, and is not retried", () => {
  const error = httpFailure(413, "Request Entity Too Large", {
    ...CONTEXT,
    request: "upload-path",
    upload: { path: "/nix/store/x-big", narSize: 150 * 1024 * 1024 },
  });
  assertIncludes(
    error.message,
    "/nix/store/x-big (a 150.0 MiB NAR) was refused as too large (413)",
  );
  assertIncludes(error.message, "client_max_body_size");
  assertEquals([error.retryable, error.refusesAll], [false, false]);
});

Deno.test("429 and 5xx are retried, with the server's Retry-After", () => {
  const limited = httpFailure(429, "", CONTEXT, 2_000);
  assertEquals([limited.retryable, limited.retryAfterMs], [true, 2_000]);
  for (const status of [500, 502, 503, 504]) assert(httpFailure(status, "", CONTEXT).retryable);
});

Deno.test("other answers are a server that differs from the documented API: not retried, quoted", () => {
  const error = httpFailure(422, "Failed to deserialize the JSON body", CONTEXT);
  assertIncludes(error.message, "(422: Failed to deserialize the JSON body)");
  assertEquals(error.retryable, false);
  const long = httpFailure(400, "x".repeat(5_000), CONTEXT);
  assert(long.message.length < 600, "a long answer is cut");
});

Deno.test("retryAfterMs() reads seconds and HTTP dates, and ignores what it cannot read", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");
  assertEquals(retryAfterMs("3", now), 3_000);
  assertEquals(retryAfterMs("Mon, 23 Nov 2026 10:00:05 GMT", now), 5_000);
  assertEquals(retryAfterMs("Mon, 23 Nov 2026 09:00:00 GMT", now), 0);
  assertEquals(retryAfterMs("soon", now), null);
  assertEquals(retryAfterMs(null, now), null);
});
