/**
 * The component project's own pipeline, as gitlab-ci-local lists it: checks,
 * tests and the self-test always; the release jobs only for a semver tag.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { componentProject } from "../helpers/gitlab_ci_local.ts";
import { ROOT } from "../helpers/nix.ts";

const ALWAYS = [
  "check",
  "helper",
  "test",
  "selftest-nix-build",
  "selftest-watch-store",
  "selftest-substitute",
];
const RELEASE = ["release-check", "release-binaries", "release"];

Deno.test("the project's pipeline runs the release jobs for semver tags only, and tests and self-tests always", async () => {
  const project = await componentProject({
    pipeline: await Deno.readTextFile(`${ROOT}/.gitlab-ci.yml`),
  });
  try {
    const list = async (tag: string | null) => {
      const args = ["--list-json"];
      if (tag !== null) args.push("--variable", `CI_COMMIT_TAG=${tag}`);
      const result = await project.run(args);
      assertEquals(result.code, 0, result.output);
      assertIncludes(result.output, "json schema validated");
      const jobs: { name: string; when: string; needs: { job: string }[] | null }[] = JSON
        .parse(result.stdout.slice(result.stdout.indexOf("[")));
      // gitlab-ci-local lists every job; those whose rules do not match are `when: never`.
      return jobs.filter((job) => job.when !== "never");
    };
    const names = async (tag: string | null) => (await list(tag)).map((j) => j.name).sort();

    assertEquals(await names(null), [...ALWAYS].sort());
    for (const tag of ["1.2.3", "0.1.0", "1.3.0-rc.1", "2.0.0-beta.2"]) {
      assertEquals(await names(tag), [...ALWAYS, ...RELEASE].sort(), `tag ${tag}`);
    }
    for (const tag of ["v1.2.3", "1.2", "1.2.3.4", "01.2.3", "release-1"]) {
      assertEquals(await names(tag), [...ALWAYS].sort(), `tag ${tag}`);
    }

    // The self-test runs the helper built from this commit; the release waits for all checks.
    const jobs = new Map((await list("1.2.3")).map((j) => [j.name, j]));
    const needs = (name: string) => (jobs.get(name)?.needs ?? []).map((n) => n.job).sort();
    assertEquals(needs("selftest-nix-build"), ["helper"]);
    assertEquals(needs("selftest-watch-store"), ["helper"]);
    for (
      const job of ["check", "test", "selftest-substitute", "release-check", "release-binaries"]
    ) {
      assert(needs("release").includes(job), `release does not wait for ${job}`);
    }
  } finally {
    await project.dispose();
  }
});

Deno.test("the pipeline compiles through the one deno task, and releases every file the compile task makes", async () => {
  const pipeline = await Deno.readTextFile(`${ROOT}/.gitlab-ci.yml`);
  assertEquals(pipeline.match(/deno compile/g), null, "call deno task compile, not deno compile");
  assertEquals(pipeline.match(/deno task compile/g)?.length, 2);
  const { RELEASE_TARGETS } = await import("../../release/targets.ts");
  for (const target of RELEASE_TARGETS) {
    assertIncludes(pipeline, `name: attic-ci-${target.system}\n`);
    assertIncludes(pipeline, `/$CI_COMMIT_TAG/attic-ci-${target.system}\n`);
  }
  assertIncludes(pipeline, "name: SHA256SUMS\n");
});
