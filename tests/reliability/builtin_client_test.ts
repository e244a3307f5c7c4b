/**
 * The built-in Attic client under faults and load, around real builds:
 * injected 503s, 429s with Retry-After, a stalled upload and a dropped
 * connection lose nothing and are counted in the report; a NAR of 1 GiB is
 * streamed with the helper's memory close to what it uses for a small one.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { apiWorld, hashOf } from "../helpers/attic_api.ts";
import { isTokenFile, SecretScan } from "../helpers/attic.ts";
import { readReport, runCli } from "../helpers/cli.ts";
import { buildGraph, graphBuild, newTag, sh, storePathsOf } from "../helpers/nix.ts";

interface FaultReport {
  failed: string[];
  transfer: { uploaded: number; requestRetries: number };
  resources: { peakRssBytes: number };
}

Deno.test("503s, a stalled upload and a dropped connection, then 429s with Retry-After: every output arrives, the retries are counted, the status is the build's", async () => {
  const world = await apiWorld();
  try {
    const scenarios = [
      {
        name: "503, stall, drop",
        faults: () => {
          // Uploads: the job built every path, so no get-missing-paths is asked (its Nix pulls).
          world.server.faults.fail = { status: 503, times: 3, route: "upload-path" };
          world.server.faults.stall = { afterBytes: 0, times: 1 };
          world.server.faults.drop = { afterBytes: 0, times: 1 };
        },
        retries: 5,
      },
      {
        name: "429 with Retry-After",
        faults: () => {
          world.server.faults.fail = { status: 429, times: 2, retryAfter: 1, route: "upload-path" };
        },
        retries: 2,
      },
    ];
    for (const scenario of scenarios) {
      const tag = newTag("flt");
      const report = `${world.dir}/${tag}.json`;
      scenario.faults();
      const result = await runCli(
        [
          "exec",
          ...world.args(
            "--state-dir",
            `${world.dir}/${tag}`,
            "--stall-timeout",
            "1",
            // Five faults may all meet one request: with five retries each is retried, and the
            // pause after a request failed through every retry (tested below) stays out of it.
            "--retries",
            "5",
            "--report",
            report,
          ),
          "--",
          ...graphBuild(tag, { width: 3, depth: 3, sleep: "0.2" }),
        ],
        { env: world.env, cwd: world.dir },
      );
      assertEquals(result.code, 0, `${scenario.name}: ${result.stderr}`);
      const { valid } = await storePathsOf(tag);
      assertEquals(valid.length, 10);
      const stored = world.stored();
      const lost = valid.filter((path) => !stored.has(hashOf(path)));
      assertEquals(lost, [], `${scenario.name}: nothing lost\n${result.stderr}`);
      const json = await readReport(report) as unknown as FaultReport;
      assertEquals(json.failed, [], scenario.name);
      assert(
        json.transfer.requestRetries >= scenario.retries,
        `${scenario.name}: ${json.transfer.requestRetries} request retries counted`,
      );
      const f = world.server.faults;
      assertEquals([f.fail?.times, f.stall?.times ?? 0, f.drop?.times ?? 0], [0, 0, 0], "all hit");
    }
    assert(world.server.requests.some((r) => r.stalled), "an upload stalled");
    assert(world.server.requests.some((r) => r.dropped), "a connection was dropped");
  } finally {
    await world.dispose();
  }
});

Deno.test("a server that failed every retry early in a short build: the final push does not wait out the pause, and pushes what was paused", async () => {
  const world = await apiWorld();
  try {
    const tag = newTag("pause");
    // A chain, one path at a time: the first upload gets both 503s (its try and its one retry),
    // so the client pauses requests to the server for 30 s, longer than the whole build.
    world.server.faults.fail = { status: 503, times: 2, route: "upload-path" };
    const result = await runCli(
      [
        "exec",
        ...world.args(
          "--state-dir",
          `${world.dir}/${tag}`,
          "--retries",
          "1",
          "--retry-delay",
          "0.1",
        ),
        "--",
        ...graphBuild(tag, { width: 1, depth: 3, sleep: "0.5" }),
      ],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stderr, "not sent, as the server failed a request through every retry");
    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 4);
    const stored = world.stored();
    assertEquals(
      valid.filter((path) => !stored.has(hashOf(path))),
      [],
      `nothing lost\n${result.stderr}`,
    );
    assertEquals(world.server.faults.fail?.times, 0, "both 503s were answered");
  } finally {
    await world.dispose();
  }
});

Deno.test("a server down for the whole build: the build keeps its status, and a later push uploads everything", async () => {
  const world = await apiWorld();
  try {
    const tag = newTag("down");
    const state = `${world.dir}/state-down`;
    // Nothing listens on port 9 of this machine: every connection is refused.
    const down = ["--server", "http://127.0.0.1:9/", "--state-dir", state];
    const result = await runCli(
      [
        "exec",
        ...world.args(...down, "--retries", "1"),
        "--",
        ...graphBuild(tag, { width: 2, depth: 2 }),
      ],
      { env: world.env, cwd: world.dir },
    );
    assertEquals(result.code, 0, result.stderr);
    const { valid } = await storePathsOf(tag);
    assertEquals(valid.length, 5);
    assert(result.stderr.includes("cannot reach http://127.0.0.1:9/"), result.stderr);

    // The after_script's push, with the cache back: the recorded session is pushed.
    const later = await runCli(["push", ...world.args("--state-dir", state)], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(later.code, 0, later.stderr);
    const stored = world.stored();
    assertEquals(valid.filter((path) => !stored.has(hashOf(path))), [], "nothing lost");
  } finally {
    await world.dispose();
  }
});

Deno.test("with the built-in client the token is in no command line, state file but its own, log, report or status, through start and stop and a refusal", async () => {
  const world = await apiWorld();
  try {
    const tag = newTag("sec");
    const outputs: string[] = [];
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const result = await runCli(args, { env: { ...world.env, ...env }, cwd: world.dir });
      outputs.push(`$ ${args.join(" ")}\n${result.stdout}${result.stderr}`);
      return result;
    };
    const scan = new SecretScan(world.token, {
      state: world.state,
      allowed: isTokenFile,
      marker: (argv) => argv.some((a) => a.includes(` of ${tag}"`)),
    });
    const report = `${world.dir}/report.json`;
    try {
      await run([
        "exec",
        ...world.args("--report", report),
        "--",
        ...graphBuild(tag, { width: 3 }),
      ]);
      outputs.push(await Deno.readTextFile(report));
      // The detached watcher never sees the variable: it reads the 0600 token file.
      await run(["start", ...world.args()]);
      await run(["status", "--json", "--state-dir", world.state]);
      await buildGraph(newTag("sec"), { width: 2, depth: 2 });
      await run(["stop", ...world.args()]);
      outputs.push(await Deno.readTextFile(`${world.state}/watcher.log`));
    } finally {
      const findings = await scan.stop();
      assertEquals(findings.argv, [], "no process had the token in its command line");
      assertEquals(findings.files, [], "no state file but the token file held the token");
      assertEquals(findings.looseFiles, [], "the token file was 0600 whenever it held the token");
    }
    // A token the server refuses: its message names the variable.
    await run([
      "exec",
      ...world.args("--state-dir", `${world.dir}/refused`),
      "--",
      ...graphBuild(newTag("sec"), { width: 1, depth: 1 }),
    ], { ATTIC_TOKEN: `${world.token}x` });
    assert(outputs.some((o) => o.includes("built-in client:")), "the client pushed");
    assert(world.server.requests.some((r) => r.status === 401), "a request was refused");
    const leaks = outputs.filter((text) => text.includes(world.token));
    assertEquals(leaks, [], "the token appeared in a log, report, error or status");
  } finally {
    await world.dispose();
  }
});

/** A derivation whose output is one sparse file of `bytes` bytes (a NAR of that size). */
async function buildSparse(tag: string, bytes: number): Promise<string> {
  const expression = `derivation {
    name = "attic-ci-sparse-${tag}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/dd if=/dev/zero of=$out bs=1 count=0 seek=${bytes} 2>/dev/null" ];
  }`;
  const built = await sh("nix-build", ["--no-out-link", "--expr", expression]);
  assertEquals(built.code, 0, built.stderr);
  return built.stdout.trim();
}

Deno.test("a NAR of 1 GiB is streamed to the server with the helper's peak RSS within 30 MiB of pushing a small one", async () => {
  const world = await apiWorld({ server: { keepNars: false } });
  const tag = newTag("gib");
  const paths: string[] = [];
  try {
    const push = async (path: string) => {
      const report = `${world.dir}/${hashOf(path)}.json`;
      const result = await runCli(
        [
          "push",
          ...world.args("--state-dir", `${world.dir}/${hashOf(path)}`, "--report", report),
          path,
        ],
        { env: world.env, cwd: world.dir },
      );
      assertEquals(result.code, 0, result.stderr);
      return await readReport(report) as unknown as FaultReport;
    };
    const small = await buildSparse(`${tag}-small`, 4096);
    const big = await buildSparse(tag, 1024 ** 3);
    paths.push(small, big);

    const idle = (await push(small)).resources.peakRssBytes;
    const json = await push(big);
    assertEquals(json.transfer.uploaded, 1);
    assert(world.stored().has(hashOf(big)), "the server checked its hash and size and took it");
    assert(world.server.stats().uploadBytes > 1024 ** 3, "the whole NAR went over the wire");
    const growth = json.resources.peakRssBytes - idle;
    assert(
      growth <= 30 * 1024 * 1024,
      `peak RSS ${(json.resources.peakRssBytes / 2 ** 20).toFixed(1)} MiB, ` +
        `${(growth / 2 ** 20).toFixed(1)} MiB over the small push's`,
    );
  } finally {
    if (paths.length > 0) await sh("nix-store", ["--delete", ...paths]);
    await world.dispose();
  }
});
