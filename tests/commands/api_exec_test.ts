/**
 * The built-in Attic client end to end: `attic-ci exec --attic-client api`
 * (and `auto`) around real Nix builds, with no attic CLI anywhere on PATH,
 * pushing into the Attic test server — and Nix substituting every output back
 * from it over HTTP. What the cache already has is not uploaded again; a
 * token the server refuses ends in one line and the build's own status.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  apiWorld,
  hashOf,
  onPath,
  PATH_WITHOUT_ATTIC,
  substituteBack,
} from "../helpers/attic_api.ts";
import { CACHE, NO_CLIENT_INSTALLABLE } from "../helpers/attic.ts";
import { readReport, runCli } from "../helpers/cli.ts";
import { graphBuild, newTag, storePathsOf } from "../helpers/nix.ts";

/** The JSON report's fields these tests read. */
interface ApiReport {
  incremental: number;
  pushed: number;
  failed: string[];
  bootstrap: { mode: string; reason: string } | null;
  transfer: {
    uploaded: number;
    alreadyCached: number;
    fromUpstream: number;
    requestRetries: number;
  } | null;
}

async function apiReport(file: string): Promise<ApiReport> {
  return await readReport(file) as unknown as ApiReport;
}

Deno.test("exec --attic-client api, with no attic on PATH, streams every output of a 21-derivation build to the server, and Nix substitutes them all back over HTTP", async () => {
  const world = await apiWorld();
  try {
    assert(!(await onPath("attic", PATH_WITHOUT_ATTIC)), `no attic on ${PATH_WITHOUT_ATTIC}`);
    const tag = newTag("api");
    const report = `${world.dir}/report.json`;
    const result = await runCli(
      [
        "exec",
        ...world.args("--report", report),
        "--",
        ...graphBuild(tag, { width: 4, depth: 5, sleep: "0.2" }),
      ],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stderr, "attic client: built-in");

    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 21, "5 layers of 4 nodes plus the top");
    const stored = world.stored();
    for (const path of valid) assert(stored.has(hashOf(path)), `${path} is not in the server`);
    const json = await apiReport(report);
    assertEquals(json.failed, []);
    assert(json.incremental >= 20, `streamed while building: ${json.incremental}`);
    // The store is shared: paths other processes build meanwhile are pushed too.
    assert(json.transfer!.uploaded >= 21, `uploaded ${json.transfer?.uploaded}`);
    assertEquals(json.bootstrap?.mode, "built-in");
    assert(world.server.requests.every((r) => r.authorized), "every request carried the token");
    assert(!result.stderr.includes(world.token), "the log does not contain the token");
    assert(!(await Deno.readTextFile(report)).includes(world.token), "nor does the report");

    await Deno.remove(`${world.dir}/result`); // the out-link would keep them alive
    const back = await substituteBack(world, valid);
    assertEquals(back.code, 0, back.stderr);
  } finally {
    await world.dispose();
  }
});

Deno.test("paths the cache already has are not uploaded again, and are reported as already cached", async () => {
  const world = await apiWorld();
  try {
    const tag = newTag("again");
    const first = await runCli(
      ["exec", ...world.args(), "--", ...graphBuild(tag, { width: 3, depth: 2 })],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(first.code, 0, first.stderr);
    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 7);
    const uploadsBefore = world.uploads().length;

    // Another job, its own state: it pushes the same outputs.
    const report = `${world.dir}/second.json`;
    const second = await runCli(
      ["push", ...world.args("--state-dir", `${world.dir}/other`, "--report", report), ...valid],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(second.code, 0, second.stderr);
    assertEquals(world.uploads().length, uploadsBefore, "the server saw no upload for them");
    const json = await apiReport(report);
    assertEquals(json.transfer?.uploaded, 0);
    assertEquals(json.transfer?.alreadyCached, 7);
    assertIncludes(second.stderr, "0 uploaded (0.0 MiB), 7 already cached");
  } finally {
    await world.dispose();
  }
});

Deno.test("auto with no attic on PATH streams with the built-in client at once, fetching nothing before the build", async () => {
  const world = await apiWorld();
  try {
    const tag = newTag("auto");
    const report = `${world.dir}/report.json`;
    const result = await runCli(
      [
        "exec",
        ...world.args(
          "--attic-client",
          "auto",
          "--bootstrap-installable",
          NO_CLIENT_INSTALLABLE,
          "--report",
          report,
        ),
        "--",
        ...graphBuild(tag, { width: 3, depth: 3, sleep: "0.2" }),
      ],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    const json = await apiReport(report);
    assertEquals(json.bootstrap?.mode, "built-in");
    assertIncludes(
      json.bootstrap!.reason,
      "--attic-client auto: no attic on PATH, the built-in client pushes",
    );
    assert(
      !result.stderr.includes("fetching the attic client"),
      "auto ran the bootstrap before the build",
    );
    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 10);
    assertEquals(json.incremental, 10, "every output streamed during the build, none deferred");
    const stored = world.stored();
    for (const path of valid) assert(stored.has(hashOf(path)), `${path} is not in the server`);
  } finally {
    await world.dispose();
  }
});

Deno.test("exec asks for the cache's configuration before its own code has loaded, once: the build's Nix pulls with that answer", async () => {
  const world = await apiWorld();
  try {
    const report = `${world.dir}/report.json`;
    const result = await runCli(
      ["exec", ...world.args("--report", report), "--", "/bin/sh", "-c", 'echo "$NIX_CONFIG"'],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    const asked = world.server.requests.filter((r) => r.path.startsWith("/_api/v1/cache-config/"));
    assertEquals(asked.length, 1, "the command took the early answer instead of asking again");
    assert(asked[0]!.authorized, "with the token");
    const { startup } = await readReport(report) as unknown as {
      startup: { helperStartedAt: number };
    };
    assert(
      asked[0]!.receivedAt < startup.helperStartedAt,
      `the request came ${asked[0]!.receivedAt - startup.helperStartedAt} ms after the code loaded`,
    );
    // The answer is the one the pull side used: the build's Nix substitutes from the server.
    assertIncludes(result.stdout, `extra-substituters = ${world.server.url}`);
  } finally {
    await world.dispose();
  }
});

Deno.test("a token the server does not accept is one line when it happens (and one in the report), the build keeps its status, and --strict exits 1", async () => {
  const world = await apiWorld({ foreignToken: true });
  try {
    const tag = newTag("denied");
    const run = (...extra: string[]) =>
      runCli(
        ["exec", ...world.args(...extra), "--", ...graphBuild(tag, { width: 2, depth: 2 })],
        { env: world.env, cwd: world.dir },
      );
    const result = await run();
    assertEquals(result.code, 0, result.stderr);
    const lines = result.stderr.split("\n");
    const refusals = lines.filter((l) => l.includes("did not accept the token"));
    assertEquals(refusals.length, 2, "said once when it happened, once in the report");
    assertIncludes(refusals[0]!, "the cache refuses every request, so nothing is pulled from it");
    assertIncludes(refusals[0]!, `did not accept the token in ATTIC_TOKEN (401 on cache-config)`);
    assertIncludes(refusals[1]!, "not pushed: 5 paths");
    assert(!result.stderr.includes(world.token), "the log does not contain the token");
    const apiCalls = world.server.requests.filter((r) => r.path.startsWith("/_api/"));
    assertEquals(apiCalls.length, 1, "nothing was tried after the refusal");

    const strict = await run("--strict", "--state-dir", `${world.dir}/strict`);
    assertEquals(strict.code, 1, strict.stderr);
  } finally {
    await world.dispose();
  }
});

Deno.test("a token without push permission is named as such, and a failing build keeps its status", async () => {
  const world = await apiWorld({ grants: { [CACHE]: { r: 1 } } });
  try {
    const tag = newTag("readonly");
    const result = await runCli(
      [
        "exec",
        ...world.args(),
        "--",
        ...graphBuild(tag, { width: 2, depth: 2, failAt: "l1n0" }),
      ],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(result.code, 100, "nix-build's own status (100: a build failed)");
    const refusals = result.stderr.split("\n").filter((l) => l.includes("may not push"));
    assertEquals(refusals.length, 2, "said once when it happened, once in the report");
    // Paths the job built are uploaded without asking first (its Nix pulls from this cache).
    assertIncludes(refusals[0]!, "(the push permission, w) (403 on upload-path)");
  } finally {
    await world.dispose();
  }
});
