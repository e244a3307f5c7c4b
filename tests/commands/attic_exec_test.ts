/**
 * `attic-ci exec` with the attic backend, end to end: real Nix builds pushed
 * through the attic CLI test double (first on PATH) into its real binary
 * cache. The token must reach attic only through the 0600 token file named by
 * the generated config; faults injected into the double are retried or
 * isolated without changing the build's status.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { runCli } from "../helpers/cli.ts";
import {
  atticWorld,
  CACHE,
  exists,
  finish,
  type Finished,
  isTokenFile,
  modeOf,
  pushedWithTag,
  randomSecret,
  readAtticReport,
  type SecretFindings,
  SecretScan,
  SERVER,
  sha256Hex,
  spawnCli,
} from "../helpers/attic.ts";
import { graphBuild, hasNarinfo, newTag, nixReadsBack, storePathsOf } from "../helpers/nix.ts";

Deno.test("exec with the attic backend pushes every output, and the token reaches attic only through its 0600 token file", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const report = `${world.dir}/report.json`;
    const child = spawnCli(
      [
        "exec",
        ...world.args("--report", report),
        "--",
        ...graphBuild(tag, { width: 3, depth: 3, sleep: "0.3" }),
      ],
      { env: world.env, cwd: world.dir },
    );
    // While the build runs: every process's argv, every state file, every attic child's environment.
    const scan = new SecretScan(world.token, {
      state: world.state,
      allowed: isTokenFile,
      // The graph's builder scripts (`sh -c '… echo "l0n0 of TAG" …'`).
      marker: (argv) => argv.some((a) => a.includes(` of ${tag}"`)),
    });
    let result: Finished;
    let findings: SecretFindings;
    try {
      result = await finish(child, "exec");
    } finally {
      findings = await scan.stop();
    }
    assertEquals(result.code, 0, result.stderr);

    assert(findings.marked > 0, "the scan ran while the graph's builders ran");
    assertEquals(findings.argv, [], "no process had the token in its command line");
    assertEquals(findings.files, [], "no state file but the token file held the token");
    assertEquals(findings.looseFiles, [], "the token file was 0600 whenever it held the token");
    assert(findings.atticChildren > 0, "the scan saw attic push children");
    assertEquals(findings.atticEnviron, [], "no attic child had the token in its environment");
    assert(!result.stderr.includes(world.token), "the log does not contain the token");
    assert(!result.stdout.includes(world.token), "stdout does not contain the token");
    assert(!(await Deno.readTextFile(report)).includes(world.token), "nor does the JSON report");

    assertEquals(await modeOf(world.state), 0o700, "the state dir is private");
    const config = `${world.state}/attic-config/attic/config.toml`;
    // When exec ends, no file holding the token is left for a later job on the runner.
    for (const name of ["token", "attic-config", "netrc"]) {
      assert(!(await exists(`${world.state}/${name}`)), `${name} outlived the run`);
    }

    const pushes = (await world.invocations()).filter((i) => i.argv[0] === "push");
    assert(pushes.length > 0, "attic push was called");
    const expected = await sha256Hex(world.token);
    for (const push of pushes) {
      assertEquals(push.tokenSha256, expected, "attic read the token from the token file");
      assertEquals(push.configPath, config);
      assertEquals(push.cache, CACHE);
      assertEquals(push.endpoint, SERVER);
      assertEquals(push.exitCode, 0);
      assert(!push.argv.some((a) => a.includes(world.token)), "the token is not an argument");
    }

    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 10, "3 layers of 3 nodes plus the top");
    for (const path of valid) assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    assert(await nixReadsBack(`file://${world.cache}`, valid), "nix reads the cache back");
    const json = await readAtticReport(report);
    assertEquals(json.backend, "attic");
    assertEquals(json.bootstrap?.mode, "path", "the double was found on PATH");
    assertEquals(pushedWithTag(json, tag), valid, "the report accounts for every output");
    assertEquals(json.failed.filter((p) => p.includes(tag)), []);
    assertIncludes(
      result.stderr,
      `watch-store pushed ${json.incremental} store paths incrementally`,
    );
  } finally {
    await world.dispose();
  }
});

Deno.test("exec accepts a File-type token variable: the variable names a file holding the token", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const secret = randomSecret();
    const file = `${world.dir}/ci-variable-file`;
    await Deno.writeTextFile(file, `${secret}\n`);
    const result = await runCli(
      [
        "exec",
        ...world.args("--token-variable", "CI_ATTIC_TOKEN_FILE"),
        "--",
        ...graphBuild(tag, { width: 2, depth: 2 }),
      ],
      // ATTIC_TOKEN holds another value: only the named variable counts.
      { env: { ...world.env, CI_ATTIC_TOKEN_FILE: file }, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    assert(!(await exists(`${world.state}/token`)), "the token file outlived the run");
    const pushes = (await world.invocations()).filter((i) => i.argv[0] === "push");
    assert(pushes.length > 0, "attic push was called");
    const expected = await sha256Hex(secret);
    // The token file held the file's token (trimmed), not its path.
    for (const push of pushes) assertEquals(push.tokenSha256, expected);
    assert(!result.stderr.includes(secret), "the log does not contain the token");

    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 5);
    for (const path of valid) assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
  } finally {
    await world.dispose();
  }
});

Deno.test("exec retries pushes the server refused, and everything arrives (ATTIC_DOUBLE_FAIL_TIMES=2)", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const report = `${world.dir}/report.json`;
    const result = await runCli(
      [
        "exec",
        ...world.args("--report", report, "--retry-delay", "0.1"),
        "--",
        ...graphBuild(tag, { width: 3, depth: 2 }),
      ],
      { env: { ...world.env, ATTIC_DOUBLE_FAIL_TIMES: "2" }, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    const faults = (await world.invocations()).filter((i) => i.fault === "fail-times");
    assertEquals(faults.length, 2, "the double refused two push calls");
    assertIncludes(result.stderr, "injected by ATTIC_DOUBLE_FAIL_TIMES); retry 1");
    assertIncludes(result.stderr, "injected by ATTIC_DOUBLE_FAIL_TIMES); retry 2");

    const json = await readAtticReport(report);
    assert(json.retries >= 2, `report.retries is ${json.retries}`);
    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 7);
    for (const path of valid) assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    assertEquals(pushedWithTag(json, tag), valid);
    assertEquals(json.failed.filter((p) => p.includes(tag)), []);
  } finally {
    await world.dispose();
  }
});

/** Runs exec on a small graph whose top (`all`, which nothing depends on) the server refuses. */
async function execWithFailingTop(strict: boolean) {
  const world = await atticWorld();
  const tag = newTag();
  const report = `${world.dir}/report.json`;
  const result = await runCli(
    [
      "exec",
      ...world.args("--report", report, "--retries", "1", "--retry-delay", "0.05"),
      ...(strict ? ["--strict"] : []),
      "--",
      ...graphBuild(tag, { width: 3, depth: 2 }),
    ],
    { env: { ...world.env, ATTIC_DOUBLE_FAIL_PATH: `-${tag}-all$` }, cwd: world.dir },
  );
  const { valid } = await storePathsOf(tag);
  const top = valid.find((p) => p.endsWith(`-${tag}-all`));
  assert(top !== undefined, "the build finished its top");
  return { world, tag, result, valid, top, report: await readAtticReport(report) };
}

Deno.test("exec isolates a path the server keeps refusing, pushes the rest, and keeps the build's status", async () => {
  const { world, tag, result, valid, top, report } = await execWithFailingTop(false);
  try {
    assertEquals(result.code, 0, "a push failure does not fail the build");
    assertEquals(report.exitCode, 0);
    assertEquals(
      report.failed.filter((p) => p.includes(tag)),
      [top],
      "only the refused path failed",
    );
    assertIncludes(report.failures[top] ?? "", "attic push exited with 1");
    assert(!(await hasNarinfo(world.cache, top)), "the refused path is not in the cache");
    for (const path of valid.filter((p) => p !== top)) {
      assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    }
    assertIncludes(result.stderr, "could not be pushed; the build result is unaffected");
    assertIncludes(result.stderr, `not pushed: ${top}`);
  } finally {
    await world.dispose();
  }
});

Deno.test("exec --strict exits 1 when a path could not be pushed after a successful build", async () => {
  const { world, tag, result, valid, top, report } = await execWithFailingTop(true);
  try {
    assertEquals(result.code, 1, result.stderr);
    assertEquals(report.exitCode, 0, "the report keeps the build's own status");
    assertEquals(report.failed.filter((p) => p.includes(tag)), [top]);
    for (const path of valid.filter((p) => p !== top)) {
      assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    }
  } finally {
    await world.dispose();
  }
});
