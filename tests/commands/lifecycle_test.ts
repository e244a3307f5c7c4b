/**
 * The lifecycles besides `exec`, with the attic backend and the attic test
 * double: `start` (returns at once, its watcher detached from our stdio),
 * `stop` (drain, final push, report), `push` after a watcher was killed, and
 * `watch` in the foreground until SIGTERM. Every test kills any watcher it
 * started, even when it fails.
 */

import {
  type AtticWorld,
  atticWorld,
  finish,
  isTokenFile,
  killWatcher,
  processGone,
  pushedWithTag,
  readAtticReport,
  SecretScan,
  sha256Hex,
  spawnCli,
  waitFor,
  watcherPid,
} from "../helpers/attic.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { runCli } from "../helpers/cli.ts";
import { graphBuild, hasNarinfo, newTag, sh, storePathsOf } from "../helpers/nix.ts";

/** What `status --json` prints. */
interface StatusJson {
  running: boolean;
  pid: number | null;
  status: { state: string; pid: number; backend: string; target: string } | null;
}

/** Runs `status --json` for the world's state directory. */
async function status(world: AtticWorld): Promise<{ code: number; json: StatusJson }> {
  const result = await runCli(["status", "--json", "--state-dir", world.state]);
  return { code: result.code, json: JSON.parse(result.stdout) };
}

/** Builds the demo graph with `tag` in the world's directory (out-link `result-<tag>`). */
async function build(world: AtticWorld, tag: string): Promise<string[]> {
  const [program, ...args] = graphBuild(tag, { width: 3, depth: 2 });
  const result = await sh(program!, [...args, "--out-link", `result-${tag}`], { cwd: world.dir });
  assertEquals(result.code, 0, result.stderr);
  const { valid } = await storePathsOf(tag);
  assertEquals(valid.length, 7);
  return valid;
}

/**
 * Runs `start` the way a CI script does: stdout and stderr are pipes, and the
 * run is over only when both are closed. A watcher holding them would make
 * this wait forever; the guard turns that into a failure.
 */
async function start(
  world: AtticWorld,
  ...extra: string[]
): Promise<{ stderr: string; pid: number }> {
  const child = spawnCli(["start", ...world.args(...extra)], { env: world.env, cwd: world.dir });
  const result = await finish(child, "start (its output pipes were never closed)", 60_000);
  assertEquals(result.code, 0, result.stderr);
  const pid = await watcherPid(world.state);
  assert(pid !== null, "start wrote the pidfile");
  return { stderr: result.stderr, pid };
}

Deno.test("start returns at once with its watcher detached; stop drains it and reports every output", async () => {
  const world = await atticWorld();
  const tag = newTag();
  const scan = new SecretScan(world.token, {
    state: world.state,
    allowed: isTokenFile,
    marker: (argv) => argv.some((a) => a.includes(` of ${tag}"`)),
  });
  try {
    const started = await start(world);
    const pid = started.pid;
    const environ = await Deno.readTextFile(`/proc/${pid}/environ`);
    assert(!environ.includes(world.token), "the detached watcher's environment has no token");
    assertIncludes(started.stderr, `watcher started (pid ${pid}, state ${world.state})`);
    const running = await status(world);
    assertEquals(running.code, 0);
    assertEquals(running.json.running, true);
    assertEquals(running.json.pid, pid);
    assertEquals(running.json.status?.state, "watching");
    assertEquals(running.json.status?.backend, "attic");

    const valid = await build(world, tag);

    const report = `${world.dir}/report.json`;
    const stop = await runCli(["stop", "--state-dir", world.state, "--report", report], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(stop.code, 0, stop.stderr);
    assertIncludes(stop.stderr, `stopping the watcher (pid ${pid}) and waiting for its drain`);
    assert(await processGone(pid), "the watcher exited");
    assertEquals((await status(world)).json.running, false);

    const json = await readAtticReport(report);
    assertEquals(json.command, "stop");
    assertEquals(pushedWithTag(json, tag), valid, "incremental + final push cover every output");
    assert(json.incremental + json.finalPush >= valid.length, "and the counts say so");
    assert(json.incremental > 0, "the watcher pushed while the build ran");
    assertEquals(json.failed.filter((p) => p.includes(tag)), []);
    for (const path of valid) assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    assertIncludes(stop.stderr, `watch-store pushed ${json.incremental} store paths incrementally`);

    const pushes = (await world.invocations()).filter((i) => i.argv[0] === "push");
    const expected = await sha256Hex(world.token);
    assert(pushes.every((p) => p.tokenSha256 === expected), "every push used the token file");
    const findings = await scan.stop();
    assert(findings.marked > 0, "the scan ran while the graph's builders ran");
    assertEquals(findings.argv, [], "no process had the token in its command line");
    assertEquals(findings.files, [], "no state file but the token file (e.g. not watcher.log)");
    assertEquals(findings.looseFiles, []);
    assertEquals(findings.atticEnviron, [], "no attic child had the token in its environment");
    assert(!stop.stderr.includes(world.token) && !started.stderr.includes(world.token));
  } finally {
    await scan.stop();
    await killWatcher(world.state);
    await world.dispose();
  }
});

Deno.test("after the watcher is killed, stop says so and the final push gets every missing path; push then has nothing left", async () => {
  const world = await atticWorld();
  try {
    // Every path is the job's (a runner of one job at a time): what the reconcile recovers.
    const { pid } = await start(world, "--attribution", "all");
    const before = newTag();
    const first = await build(world, before);

    Deno.kill(pid, "SIGKILL");
    await waitFor(() => processGone(pid), "the killed watcher to disappear");
    const dead = await status(world);
    assertEquals(dead.code, 3, "status: no watcher");
    assertEquals(dead.json.running, false);

    const after = newTag();
    const second = await build(world, after);
    // Nothing streams any more: the second build is not in the cache yet.
    for (const path of second) assert(!(await hasNarinfo(world.cache, path)), `${path} too early`);

    const report = `${world.dir}/stop.json`;
    const stop = await runCli(["stop", "--state-dir", world.state, "--report", report], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(stop.code, 0, stop.stderr);
    assertIncludes(
      stop.stderr,
      `no watcher is running (pid ${pid} is gone: it was killed or crashed)`,
    );
    for (const path of [...first, ...second]) {
      assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    }
    const json = await readAtticReport(report);
    const final = json.paths.filter((p) => p.phase === "final" && p.pushedAt !== null)
      .map((p) => p.path);
    for (const path of second) assert(final.includes(path), `${path} came from the final push`);
    assertEquals(json.failed.filter((p) => p.includes(before) || p.includes(after)), []);

    // The final push recorded what it pushed: a later push (after_script) finds nothing of ours.
    const again = `${world.dir}/push.json`;
    const push = await runCli(["push", "--state-dir", world.state, "--report", again], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(push.code, 0, push.stderr);
    const pushed = await readAtticReport(again);
    assertEquals(pushedWithTag(pushed, before), []);
    assertEquals(pushedWithTag(pushed, after), []);
  } finally {
    await killWatcher(world.state);
    await world.dispose();
  }
});

Deno.test("watch runs in the foreground until SIGTERM, then drains, pushes every output and prints its report", async () => {
  const world = await atticWorld();
  const report = `${world.dir}/report.json`;
  const child = spawnCli(["watch", ...world.args("--report", report)], {
    env: world.env,
    cwd: world.dir,
  });
  let finished = false;
  try {
    await waitFor(async () => {
      const { json } = await status(world);
      return json.running && json.status?.state === "watching";
    }, "status to say the watcher is watching");

    const tag = newTag();
    const valid = await build(world, tag);
    child.kill("SIGTERM");
    const result = await finish(child, "watch after SIGTERM");
    finished = true;
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stderr, "SIGTERM received: draining");

    const json = await readAtticReport(report);
    assertEquals(json.command, "watch");
    assertEquals(json.exitCode, 0);
    assertIncludes(
      result.stderr,
      `watch-store pushed ${json.incremental} store paths incrementally`,
    );
    assertEquals(pushedWithTag(json, tag), valid);
    assertEquals(json.failed.filter((p) => p.includes(tag)), []);
    for (const path of valid) assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    assert(!(await Deno.stat(`${world.state}/watcher.pid`).catch(() => null)), "pidfile removed");
    assertEquals((await status(world)).json.running, false);
  } finally {
    if (!finished) {
      try {
        child.kill("SIGKILL");
      } catch { /* it exited */ }
      await child.output();
    }
    await world.dispose();
  }
});

Deno.test("stop without the token (and --strict) still stops and reports the watcher, then exits 2 naming the variable", async () => {
  const world = await atticWorld();
  const tag = newTag();
  try {
    const { pid } = await start(world);
    await build(world, tag);
    const env = { ...world.env, ATTIC_TOKEN: "", ATTIC_CI_STRICT: "true" };
    const result = await runCli(["stop", "--state-dir", world.state], { env, cwd: world.dir });
    assertEquals(result.code, 2, result.stderr);
    assertIncludes(result.stderr, "the variable ATTIC_TOKEN is empty, and --strict needs");
    assertIncludes(result.stderr, "store paths incrementally");
    await waitFor(() => processGone(pid), "the watcher to be gone", 10_000);
    assert(!result.stderr.includes(world.token), "the token is never printed");
  } finally {
    await killWatcher(world.state);
    await world.dispose();
  }
});

Deno.test("with the job's paths told apart (the default), a build that starts after the watcher died is not pushed: nothing says whose it is, and the report says so", async () => {
  const world = await atticWorld();
  try {
    // A stop after a killed watcher distrusts the baseline from a second before the session
    // began (file times here are to the second): paths an earlier test built in that second
    // would be counted among the other paths too. The count below is of this test's alone.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const { pid } = await start(world);
    const before = newTag();
    const first = await build(world, before);
    Deno.kill(pid, "SIGKILL");
    await waitFor(() => processGone(pid), "the killed watcher to disappear");
    const after = newTag();
    const second = await build(world, after);
    // An out-link in the job's directory is the job's (the final push takes it): this build's
    // stands for one of another job, elsewhere.
    await Deno.remove(`${world.dir}/result-${after}`);

    const stop = await runCli(["stop", "--state-dir", world.state], {
      env: world.env,
      cwd: world.dir,
    });
    assertEquals(stop.code, 0, stop.stderr);
    for (const path of first) assert(await hasNarinfo(world.cache, path), `${path} is not cached`);
    for (const path of second) assert(!(await hasNarinfo(world.cache, path)), `${path} was pushed`);
    assertIncludes(
      stop.stderr,
      `${second.length} other paths appeared on the store and were left alone`,
    );
  } finally {
    await killWatcher(world.state);
    await world.dispose();
  }
});
