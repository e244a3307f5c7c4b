/**
 * The component project's own pipeline, as gitlab-ci-local lists it: checks,
 * tests and the self-test always; the release jobs only for a semver tag.
 * And as written: per-commit helpers for both Linux platforms signed with a
 * throwaway key the self-tests trust, a self-test cache signed and read back
 * through the use component, and releases signed with the release key.
 */

import { parse } from "yaml";
import { RELEASE_TARGETS } from "../../release/targets.ts";
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
    assertEquals(needs("selftest-substitute"), [
      "helper",
      "selftest-nix-build",
      "selftest-watch-store",
    ]);
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

interface Job {
  extends?: string | string[];
  needs?: (string | { job: string; artifacts?: boolean })[];
  variables?: Record<string, unknown>;
  script?: string[];
  artifacts?: { paths?: string[]; reports?: { dotenv?: string } };
}

interface Include {
  component: string;
  inputs: Record<string, unknown>;
}

async function pipeline(): Promise<{ jobs: Record<string, Job>; include: Include[] }> {
  const yaml = parse(await Deno.readTextFile(`${ROOT}/.gitlab-ci.yml`));
  return { jobs: yaml, include: yaml.include };
}

/** The index of the first script line of `job` containing `part`; fails when none does. */
function lineOf(job: Job, part: string): number {
  const at = (job.script ?? []).findIndex((line) => line.includes(part));
  assert(at >= 0, `no script line has ${JSON.stringify(part)}:\n${job.script?.join("\n")}`);
  return at;
}

Deno.test("every pipeline compiles, signs and publishes this commit's helpers for both Linux platforms, with a throwaway key whose public half reaches the self-tests", async () => {
  const { jobs } = await pipeline();
  const helper = jobs.helper!;
  const linux = RELEASE_TARGETS.filter((t) => t.system.endsWith("-linux")).map((t) => t.system);
  assertEquals(linux, ["x86_64-linux", "aarch64-linux"]);
  const compile = lineOf(helper, "deno task compile");
  for (const system of linux) assertIncludes(helper.script![compile]!, `--system ${system}`);
  const generate = lineOf(helper, 'key generate-secret --key-name "attic-ci-commit-');
  const sign = lineOf(helper, 'deno task release:sign dist "$CI_COMMIT_SHA" --key-file');
  const upload = lineOf(helper, 'deno task release:upload dist "$CI_COMMIT_SHA"');
  assert(generate < sign && compile < sign && sign < upload, "compile, sign, then upload");
  assertIncludes(helper.script!.join("\n"), "apt-get install -y -qq nix-bin");
  // The public half, as the variable the helper step reads, for the jobs that need this one.
  const dotenv = helper.artifacts?.reports?.dotenv;
  assertEquals(dotenv, "helper.env");
  assertIncludes(
    helper.script![lineOf(helper, `>${dotenv}`)]!,
    "ATTIC_CI_HELPER_PUBLIC_KEY=$(nix --extra-experimental-features nix-command key convert-secret-to-public",
  );
  // The helper key's secret stays out of the artifacts; the cache key is one, for the tests.
  assertEquals(helper.artifacts?.paths, ["selftest-keys/"]);
  assertIncludes(helper.script![generate]!, '>"$attic_ci_key"');
  assertIncludes(helper.script![lineOf(helper, "attic_ci_key=")]!, "$(mktemp)");
  // That every self-test needs this job (its dotenv, its artifact): the gitlab-ci-local test.
});

Deno.test("the self-tests push to a cache signed with a throwaway key, and selftest-substitute reads it through the use component with no substituter set by hand", async () => {
  const { jobs, include } = await pipeline();
  const byName = new Map(
    include.map((i) => [/\/([a-z-]+)@\$CI_COMMIT_SHA$/.exec(i.component)![1]!, i]),
  );
  assertEquals([...byName.keys()], ["nix-build", "watch-store", "use"]);
  const to = byName.get("nix-build")!.inputs.to;
  assertEquals(
    to,
    "file://$CI_PROJECT_DIR/selftest-cache?secret-key=$CI_PROJECT_DIR/selftest-keys/cache.sec",
  );
  for (const [name, i] of byName) {
    assertEquals(i.inputs.to, to, `${name}'s cache`);
    assertEquals(i.inputs.backend, "nix-copy");
  }
  const generate = lineOf(jobs.helper!, 'key generate-secret --key-name "attic-ci-selftest-');
  assertIncludes(jobs.helper!.script![generate]!, ">selftest-keys/cache.sec");
  // attic-ci build enables the new CLI and flakes itself.
  assertEquals(byName.get("nix-build")!.inputs.nix_flags, ["--impure"]);

  const substitute = jobs["selftest-substitute"]!;
  assertEquals(substitute.extends, byName.get("use")!.inputs.job_name);
  assertEquals(substitute.variables, undefined);
  const script = substitute.script!.join("\n");
  for (const byHand of ["substituters", "require-sigs", "trusted-public-keys", "NIX_CONFIG"]) {
    assert(!script.includes(byHand), `selftest-substitute sets ${byHand} by hand`);
  }
  assertIncludes(script, "--max-jobs 0");
});

Deno.test("release-binaries signs with the release key, only the one the templates trust, and fails in one line without it", async () => {
  const { jobs } = await pipeline();
  const release = jobs["release-binaries"]!;
  const check = lineOf(release, "ATTIC_CI_RELEASE_SIGNING_KEY is not set");
  const compile = lineOf(release, "deno task compile --all --out dist");
  const sign = lineOf(
    release,
    'deno task release:sign dist "$CI_COMMIT_TAG" --key-file "$ATTIC_CI_RELEASE_SIGNING_KEY" ' +
      "--check-templates",
  );
  const upload = lineOf(release, 'deno task release:upload dist "$CI_COMMIT_TAG"');
  assert(check < compile && compile < sign && sign < upload, "check, compile, sign, upload");

  // The check, as the job's shell runs it: without the variable, one line and exit 1.
  const run = async (env: Record<string, string>) => {
    const out = await new Deno.Command("bash", {
      args: ["-c", `set -eo pipefail\n${release.script![check]}\necho signing`],
      env,
      clearEnv: true,
      stdout: "piped",
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  const missing = await run({ PATH: "/usr/bin:/bin" });
  assertEquals(missing.code, 1);
  assertEquals(missing.stdout.trim().split("\n").length, 1);
  assertIncludes(
    missing.stdout,
    "release-binaries: ATTIC_CI_RELEASE_SIGNING_KEY is not set: add the release secret key as a " +
      "protected, masked File-type CI/CD variable",
  );
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "attic-ci-release-1:secret");
    const given = await run({ PATH: "/usr/bin:/bin", ATTIC_CI_RELEASE_SIGNING_KEY: file });
    assertEquals(given, { code: 0, stdout: "signing\n" });
  } finally {
    await Deno.remove(file);
  }
});
