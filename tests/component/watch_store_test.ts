/**
 * The `watch-store` mixin in users' own jobs, run through gitlab-ci-local's
 * shell executor: the watcher starts in before_script, the job's script
 * lines build, after_script stops it (drain, final push, report).
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { processGone } from "../helpers/attic.ts";
import {
  componentProject,
  type GclResult,
  sectionsAround,
  selfInclude,
} from "../helpers/gitlab_ci_local.ts";
import { cachedPaths, storePathsOf } from "../helpers/nix.ts";

/** A pipeline with one job that extends the mixin and runs `script`. */
function mixinPipeline(script: string[]): string {
  return `include:
  - component: ${selfInclude("watch-store")}
    inputs:
      cache: main
      server: http://attic.test.invalid/

build:
  extends: .attic-ci-watch-store
  script:
${script.map((line) => `    - ${JSON.stringify(line)}`).join("\n")}
`;
}

/**
 * Runs the pipeline, failing the test if the shell executor hangs (a watcher
 * holding the job's stdout would keep gitlab-ci-local waiting forever).
 */
async function runWithin(
  project: Awaited<ReturnType<typeof componentProject>>,
  env: Record<string, string>,
  seconds = 120,
): Promise<GclResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`gitlab-ci-local still runs after ${seconds} s: the job hangs`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([project.run([], { env }), hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function assertAllCached(root: string, tag: string): Promise<number> {
  const { valid } = await storePathsOf(tag);
  const cached = new Set(await cachedPaths(`${root}/caches/main`));
  for (const path of valid) assert(cached.has(path), `${path} is not in the cache`);
  return valid.length;
}

Deno.test("the mixin caches everything a job of several script lines builds, and the shell executor does not hang", async () => {
  const project = await componentProject({
    pipeline: mixinPipeline([
      "nix build --no-link .#default",
      "echo between the builds",
      "nix build .#second",
    ]),
  });
  try {
    const world = project.world;
    const result = await runWithin(project, world.env);
    assertEquals(result.code, 0, result.output);
    assertIncludes(result.output, "PASS  build");

    const built = await assertAllCached(world.root, world.tag);
    assertEquals(built, 31 + 10);
    const log = await project.jobLog("build");
    assertIncludes(log, "watcher started (pid");
    assertIncludes(log, "$ attic-ci stop");
    assertIncludes(log, "stopping the watcher");
    const summary = /^watch-store pushed (\d+) store paths incrementally$/m.exec(log);
    assert(summary !== null, log);
    assert(Number(summary[1]) >= 30, `only ${summary[1]} streamed:\n${log}`);
    assertEquals(sectionsAround(log, "watch-store pushed"), []);
    assert(!result.output.includes(world.token), "the token is in the pipeline's output");
  } finally {
    await project.dispose();
  }
});

Deno.test("the mixin caches what a failing job built before its failing line, and after_script still stops the watcher", async () => {
  const project = await componentProject({
    pipeline: mixinPipeline([
      "nix build --no-link .#second",
      "nix build --no-link .#failing",
      "echo never reached",
    ]),
  });
  try {
    const world = project.world;
    const result = await runWithin(project, world.env);
    assert(result.code !== 0, result.output);
    assertIncludes(result.output, "FAIL  build");

    const built = await assertAllCached(world.root, world.tag);
    assert(
      built >= 10 + 6,
      `expected the second graph and the failing one's lower layers, got ${built}`,
    );
    const log = await project.jobLog("build");
    assert(!log.includes("never reached\n"), "the job went on after the failing line");
    assertIncludes(log, "$ attic-ci stop");
    assert(/^watch-store pushed \d+ store paths incrementally$/m.test(log), log);
    // No watcher outlives the job.
    const pid = /watcher started \(pid (\d+)/.exec(log)?.[1];
    assert(pid !== undefined, log);
    assert(await processGone(Number(pid)), "the watcher still runs");
  } finally {
    await project.dispose();
  }
});

Deno.test("the mixin on a Docker-like executor: the watcher dies with the script, after_script's final push reconciles what it recorded", async () => {
  const project = await componentProject({
    pipeline: mixinPipeline([
      "nix build --no-link .#default",
      "nix build --no-link .#second",
      // What the Docker executor does when step_script ends: every process in it dies.
      'kill -KILL "$(cat "$TMPDIR/attic-ci-$(id -u)-job-$CI_JOB_ID/watcher.pid")"',
    ]),
  });
  try {
    const world = project.world;
    // The watcher holds its batches (30 s idle): at the kill, everything it saw is unpushed.
    const result = await runWithin(project, {
      ...world.env,
      ATTIC_CI_BATCH_IDLE: "30",
      ATTIC_CI_BATCH_MAX_WAIT: "30",
    });
    assertEquals(result.code, 0, result.output);
    const built = await assertAllCached(world.root, world.tag);
    assertEquals(built, 31 + 10);
    const log = await project.jobLog("build");
    assertIncludes(log, "no watcher is running (pid");
    assertIncludes(log, "running the final push from the recorded state");
    // What the watcher attributed to the job (and recorded) is what the reconcile pushes.
    const reconciled = /final push: (\d+) store paths/.exec(log);
    assert(reconciled !== null && Number(reconciled[1]) >= 31 + 10, log);
  } finally {
    await project.dispose();
  }
});
