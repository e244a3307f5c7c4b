/**
 * The end of a run fits its budget: in after_script, GitLab's
 * RUNNER_AFTER_SCRIPT_TIMEOUT (or `--finish-within` anywhere). A final push
 * that needs longer ends in time, prints its report naming what was left,
 * keeps the state, and a later `push` uploads the rest — after which the job's
 * state directory is gone.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { apiWorld, hashOf } from "../helpers/attic_api.ts";
import { runCli } from "../helpers/cli.ts";
import { buildGraph, newTag, storePathsOf } from "../helpers/nix.ts";

Deno.test("a final push longer than a 5-second after_script budget ends in time with its report, keeps the state, and a later push uploads the rest", async () => {
  // Every API request takes 0.4 s: 31 uploads one at a time need about 13 s.
  const world = await apiWorld({ server: { network: { latencyMs: 400, bandwidthBps: null } } });
  try {
    const tag = newTag("deadline");
    const top = await buildGraph(tag, { width: 5, depth: 6, sleep: "0" });
    const paths = (await storePathsOf(tag)).valid;
    assertEquals(paths.length, 31);
    const afterScript = {
      ...world.env,
      CI_JOB_STATUS: "success",
      RUNNER_AFTER_SCRIPT_TIMEOUT: "5s",
      ATTIC_CI_AFTER_SCRIPT_STARTED: String(Math.floor(Date.now() / 1000)),
    };
    const args = world.args("--attic-jobs", "1", "--push-jobs", "1");
    const started = Date.now();
    const cut = await runCli(["push", ...args, top], { env: afterScript });
    const seconds = (Date.now() - started) / 1000;
    assertEquals(cut.code, 0, cut.stderr);
    assert(seconds < 5.5, `push took ${seconds} s of a 5 s budget`);
    assertIncludes(cut.stderr, "attic-ci: finishing within ");
    assertIncludes(cut.stderr, "the after_script timeout (RUNNER_AFTER_SCRIPT_TIMEOUT=5s)");
    assertIncludes(cut.stderr, "watch-store pushed 0 store paths incrementally");
    assertIncludes(cut.stderr, "deadline");
    assertIncludes(cut.stderr, `the state is kept in ${world.state}`);
    const first = world.stored().size;
    assert(first > 0 && first < 31, `${first} of 31 were pushed in time`);

    // A later after_script (a retried job, say) with time enough.
    const later = await runCli(["push", ...world.args(), top], {
      env: {
        ...afterScript,
        RUNNER_AFTER_SCRIPT_TIMEOUT: "2m",
        ATTIC_CI_AFTER_SCRIPT_STARTED: String(Math.floor(Date.now() / 1000)),
      },
    });
    assertEquals(later.code, 0, later.stderr);
    const stored = world.stored();
    for (const path of paths) assert(stored.has(hashOf(path)), `${path} never reached the cache`);
    assert(
      !(await Deno.stat(world.state).then(() => true, () => false)),
      "after_script's last push leaves no state behind once nothing is left",
    );
  } finally {
    await world.dispose();
  }
});

Deno.test("--finish-within bounds the end of exec too: the build's own time is not counted", async () => {
  const world = await apiWorld({ server: { network: { latencyMs: 400, bandwidthBps: null } } });
  try {
    const tag = newTag("within");
    const top = await buildGraph(tag, { width: 5, depth: 6, sleep: "0" });
    const started = Date.now();
    const result = await runCli([
      "exec",
      ...world.args("--attic-jobs", "1", "--push-jobs", "1", "--finish-within", "3"),
      "--",
      "sh",
      "-c",
      `sleep 2; ln -s ${top} result`,
    ], { env: world.env, cwd: world.dir });
    const seconds = (Date.now() - started) / 1000;
    assertEquals(result.code, 0, result.stderr);
    assert(seconds < 2 + 3 + 1.5, `exec took ${seconds} s: 2 s of build, 3 s of end`);
    assertIncludes(result.stderr, "watch-store pushed");
    assertIncludes(result.stderr, "deadline");
  } finally {
    await world.dispose();
  }
});
