/**
 * The `nix-build` component, run for real through gitlab-ci-local: the
 * template at HEAD, the helper of this checkout on PATH, the attic test
 * double as the client, and real Nix builds of the self-test flake.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  componentProject,
  GITLAB_SECTIONS,
  sectionsAround,
  selfInclude,
} from "../helpers/gitlab_ci_local.ts";
import { cachedPaths, nixReadsBack, storePathsOf } from "../helpers/nix.ts";

const SUMMARY = /^watch-store pushed (\d+) store paths incrementally$/m;

function nixBuildPipeline(inputs: string): string {
  return `include:
  - component: ${selfInclude("nix-build")}
    inputs:
      cache: main
      server: http://attic.test.invalid/
${inputs}`;
}

Deno.test("nix-build builds the flake in a job, streams every output to the cache, and prints the summary outside any section", async () => {
  const project = await componentProject({
    pipeline: nixBuildPipeline(`      installables: [".#default"]\n`),
  });
  try {
    const world = project.world;
    const result = await project.run([...GITLAB_SECTIONS], { env: world.env });
    assertEquals(result.code, 0, result.output);

    const { valid, invalid } = await storePathsOf(world.tag);
    assert(valid.length >= 20, `expected ≥ 20 built outputs, got ${valid.length}`);
    assertEquals(invalid, []);
    const cache = `${world.root}/caches/main`;
    const cached = new Set(await cachedPaths(cache));
    for (const path of valid) assert(cached.has(path), `${path} is not in the cache`);
    assert(await nixReadsBack(`file://${cache}`, valid), "Nix cannot read the outputs back");

    const log = await project.jobLog("nix-build");
    const summary = SUMMARY.exec(log);
    assert(summary !== null, `no summary line in:\n${log}`);
    assert(Number(summary[1]) >= 20, `only ${summary[1]} paths streamed:\n${log}`);
    assertEquals(sectionsAround(log, "watch-store pushed"), []);
    // The detail is there, folded.
    assertEquals(sectionsAround(log, " incremental "), ["attic_ci_push_calls"]);
    // auto takes the attic on PATH (the stand-in here) at once: nothing is fetched before the build.
    assertIncludes(log, "from PATH");
    assert(!log.includes("attic_ci_bootstrap_started"), "auto fetched a client before the build");
    assertIncludes(log, "attic_ci_final_push_started");
    // after_script's safety net found nothing left and said so, without a second report.
    assertIncludes(log, "nothing left to push: the session already ended");
    assertEquals(log.match(/watch-store pushed/g)?.length, 1);
    assert(!result.output.includes(world.token), "the token is in the pipeline's output");
  } finally {
    await project.dispose();
  }
});

Deno.test("nix-build keeps a failed build's finished outputs, fails the job, and after_script runs the final push", async () => {
  const project = await componentProject({
    pipeline: nixBuildPipeline(`      installables: [".#failing"]\n`),
  });
  try {
    const world = project.world;
    const result = await project.run([], { env: world.env });
    assert(result.code !== 0, `the pipeline passed:\n${result.output}`);
    assertIncludes(result.output, "FAIL  nix-build");

    const { valid, invalid } = await storePathsOf(world.tag);
    assert(valid.length >= 6, `expected the layers below l2n1 to be built, got ${valid.length}`);
    assert(invalid.some((p) => p.endsWith("-l2n1")), "l2n1 should be left invalid");
    const cached = new Set(await cachedPaths(`${world.root}/caches/main`));
    for (const path of valid) assert(cached.has(path), `${path} is not in the cache`);
    assert(
      ![...cached].some((p) => p.includes(`-${world.tag}-l2n1`)),
      "the failed output was pushed",
    );

    const log = await project.jobLog("nix-build");
    assertIncludes(log, "demo: l2n1 fails on purpose");
    assert(SUMMARY.test(log), log);
    // gitlab-ci-local logs after_script's commands after the script's.
    const afterScript = log.indexOf("$ attic-ci push");
    assert(afterScript > log.indexOf("watch-store pushed"), `after_script did not run:\n${log}`);
    // The build's own final push left nothing: the safety net says so without a client.
    assertIncludes(log.slice(afterScript), "nothing left to push: the session already ended");
    assert(!log.slice(afterScript).includes("bootstrap"), "after_script fetched a client");
    assert(!result.output.includes(world.token), "the token is in the pipeline's output");
  } finally {
    await project.dispose();
  }
});

Deno.test("nix-build with backend nix-copy pushes to a store URL that names CI/CD variables", async () => {
  const project = await componentProject({
    pipeline: `include:
  - component: ${selfInclude("nix-build")}
    inputs:
      backend: nix-copy
      to: file://$SELFTEST_CACHE_DIR/nix-cache
      installables: [".#second"]
`,
    sleep: "0",
  });
  try {
    // (Not $CI_PROJECT_DIR: gitlab-ci-local sets it to /builds/… for any job with an image.)
    const result = await project.run(["--variable", `SELFTEST_CACHE_DIR=${project.scratch}`]);
    assertEquals(result.code, 0, result.output);
    const { valid } = await storePathsOf(project.world.tag);
    assertEquals(valid.length, 10);
    const cache = `${project.scratch}/nix-cache`;
    assert(await nixReadsBack(`file://${cache}`, valid), "Nix cannot read the outputs back");
    // No attic client was needed, and no token.
    assert(!(await project.jobLog("nix-build")).includes("bootstrap"), "nix-copy bootstrapped");
  } finally {
    await project.dispose();
  }
});

Deno.test("nix-build passes installables with quotes and $(…) to nix as data, never to a shell", async () => {
  const project = await componentProject({
    pipeline: nixBuildPipeline(
      `      installables: [".#default", "x'y\\"z $(touch PWNED) \`touch PWNED2\` $HOME; touch PWNED3"]\n`,
    ),
    sleep: "0",
  });
  try {
    const world = project.world;
    const result = await project.run([], { env: world.env });
    // Nix refuses the odd installable: the job fails, nothing ran.
    assert(result.code !== 0, result.output);
    for (const name of ["PWNED", "PWNED2", "PWNED3"]) {
      assert(
        !(await Deno.stat(`${project.dir}/${name}`).then(() => true, () => false)),
        `${name} was created: the installable ran as shell code`,
      );
    }
    const log = await project.jobLog("nix-build");
    // One argv item, exactly as written ($HOME not expanded), quoted for display only.
    assertIncludes(
      log,
      `running: nix --extra-experimental-features 'nix-command flakes' build .#default 'x'\\''y"z $(touch PWNED) \`touch PWNED2\` $HOME; touch PWNED3'`,
    );
    assertIncludes(log, "x'y\"z $(touch PWNED)");
  } finally {
    await project.dispose();
  }
});

for (
  const [name, override, input, problem] of [
    ["a server that is not a URL", "server: not a url", "server", "does not match required regex"],
    ["a cache name with a space", "cache: main cache", "cache", "does not match required regex"],
    ["an unknown backend", "backend: s3", "backend", "is not in the list of allowed options"],
    [
      "installables that are not a list",
      'installables: ".#default"',
      "installables",
      "is not a array",
    ],
  ] as const
) {
  Deno.test(`nix-build stops the pipeline at creation on ${name}, naming the input, before any job runs`, async () => {
    const key = override.slice(0, override.indexOf(":"));
    const pipeline = nixBuildPipeline(`      ${override}\n`).split("\n")
      .filter((line, i, all) => !(line.trim().startsWith(`${key}:`) && i < all.length - 2))
      .join("\n");
    const project = await componentProject({ pipeline });
    try {
      const result = await project.run([]);
      assert(result.code !== 0, result.output);
      assertIncludes(result.output, `\`${input}\` input`);
      assertIncludes(result.output, problem);
      assert(!result.output.includes("starting shell"), `a job ran:\n${result.output}`);
    } finally {
      await project.dispose();
    }
  });
}
