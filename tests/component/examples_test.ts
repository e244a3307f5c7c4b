/**
 * Every consumer pipeline in `examples/` runs as written, with its
 * `component: …/attic-ci/<name>@<version>` pointed at the commit under test,
 * and every template passes gitlab-ci-local's schema validation.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { componentProject, pointAtThisCommit, selfInclude } from "../helpers/gitlab_ci_local.ts";
import { cachedPaths, ROOT, storePathsOf } from "../helpers/nix.ts";

async function example(name: string): Promise<string> {
  return pointAtThisCommit(await Deno.readTextFile(`${ROOT}/examples/${name}/.gitlab-ci.yml`));
}

/** The jobs gitlab-ci-local lists for a pipeline: name, stage and needs. */
async function listJobs(
  project: Awaited<ReturnType<typeof componentProject>>,
): Promise<{ name: string; stage: string; needs: string[] | null }[]> {
  const result = await project.run(["--list-json"]);
  assertEquals(result.code, 0, result.output);
  const jobs: { name: string; stage: string; needs: { job: string }[] | null }[] = JSON.parse(
    result.stdout.slice(result.stdout.indexOf("[")),
  );
  return jobs.map((job) => ({ ...job, needs: job.needs?.map((need) => need.job) ?? null }));
}

async function assertCachedAll(project: Awaited<ReturnType<typeof componentProject>>) {
  const { valid } = await storePathsOf(project.world.tag);
  assert(valid.length > 0, "nothing was built");
  const cached = new Set(await cachedPaths(`${project.world.root}/caches/main`));
  const missing = valid.filter((path) => !cached.has(path));
  assertEquals(missing, [], "built but not cached");
}

Deno.test("examples/nix-build: one job builds .#default and caches every output", async () => {
  const project = await componentProject({ pipeline: await example("nix-build") });
  try {
    const result = await project.run([]);
    assertEquals(result.code, 0, result.output);
    assertIncludes(result.output, "json schema validated");
    assertIncludes(result.output, "PASS  nix-build");
    await assertCachedAll(project);
  } finally {
    await project.dispose();
  }
});

Deno.test("examples/greedy: the build starts with lint, deploy waits for both and finds the build cached", async () => {
  const project = await componentProject({ pipeline: await example("greedy") });
  try {
    const jobs = await listJobs(project);
    const byName = new Map(jobs.map((job) => [job.name, job]));
    assertEquals(byName.get("nix-build")?.needs, []);
    assertEquals(byName.get("lint")?.needs, []);
    assertEquals(byName.get("deploy")?.needs, ["lint", "nix-build"]);

    const result = await project.run([]);
    assertEquals(result.code, 0, result.output);
    for (const job of ["lint", "nix-build", "deploy"]) {
      assertIncludes(result.output, `PASS  ${job}`);
    }
    await assertCachedAll(project);
    assertIncludes(await project.jobLog("deploy"), "deploying /nix/store/");
    // The two independent jobs ran side by side: lint started before the build ended.
    const output = result.output;
    assert(
      output.indexOf("lint starting") < output.indexOf("nix-build finished"),
      "lint waited for the build",
    );
  } finally {
    await project.dispose();
  }
});

Deno.test("examples/watch-store: two mixin jobs, one with its own before_script/after_script by !reference, cache what they build", async () => {
  const project = await componentProject({ pipeline: await example("watch-store") });
  try {
    const result = await project.run([]);
    assertEquals(result.code, 0, result.output);
    assertIncludes(result.output, "PASS  build");
    assertIncludes(result.output, "PASS  test");
    await assertCachedAll(project);
    const log = await project.jobLog("test");
    // The user's lines wrap ours, in the order the !reference pattern promises.
    const order = [
      "your own set-up",
      "watcher started",
      "fails on purpose",
      "watch-store pushed",
      "your own clean-up",
    ].map((line) => log.indexOf(line));
    assert(order.every((at) => at >= 0), `a line is missing:\n${log}`);
    assertEquals([...order].sort((a, b) => a - b), order, `out of order:\n${log}`);
  } finally {
    await project.dispose();
  }
});

for (const name of ["nix-build", "watch-store"]) {
  Deno.test(`templates/${name}.yml with its defaults passes gitlab-ci-local's schema validation`, async () => {
    const pipeline = `include:\n  - component: ${selfInclude(name)}\n` +
      (name === "watch-store"
        ? "\nuser-job:\n  extends: .attic-ci-watch-store\n  script: [echo]\n"
        : "");
    const project = await componentProject({ pipeline });
    try {
      const result = await project.run(["--list"]);
      assertEquals(result.code, 0, result.output);
      assertIncludes(result.output, "json schema validated");
    } finally {
      await project.dispose();
    }
  });
}
