/**
 * The job results users see, through gitlab-ci-local: a `nix-build` job
 * with default inputs, and a `watch-store` mixin job that fails halfway,
 * keep the JSON report, the timeline picture, the metrics and the dotenv as
 * artifacts (gitlab-ci-local copies a job's artifacts to
 * `.gitlab-ci-local/artifacts/<job>/`, its dotenv report under
 * `.gitlab-ci-reports/dotenv/`); the picture names the pushed paths (or
 * aggregates them) and shows the totals; the token is in none of them.
 */

import { readSavedReport, type SavedReport } from "../../src/report/saved_report.ts";
import { DETAIL_LIMIT } from "../../src/report/timeline_picture.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  type ComponentProject,
  componentProject,
  selfInclude,
} from "../helpers/gitlab_ci_local.ts";
import { cachedPaths, storePathsOf } from "../helpers/nix.ts";

/** Where gitlab-ci-local 4.75 keeps a shell job's artifacts (its copyArtifactsOut). */
function artifactsOf(project: ComponentProject, job: string): string {
  return `${project.dir}/.gitlab-ci-local/artifacts/${job}`;
}

/** Every file under `dir`, by path relative to it. */
async function filesUnder(dir: string, prefix = ""): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) Object.assign(files, await filesUnder(dir, `${path}/`));
    else if (entry.isFile) files[path] = await Deno.readTextFile(`${dir}/${path}`);
  }
  return files;
}

/** The text the picture shows, entities decoded. */
function pictureText(svg: string): string {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) =>
    text!.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'").replaceAll("&amp;", "&")
  ).join("\n");
}

/** The name of a store path (without its directory and hash). */
function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).slice(33);
}

/**
 * The artifacts of `job` hold the four files; the report is the job's, the
 * picture names its pushed paths (or aggregates them) and shows the totals,
 * metrics and dotenv agree with it, and no file holds `token`. Returns the report.
 */
async function assertJobResults(
  project: ComponentProject,
  job: string,
  token: string,
): Promise<SavedReport> {
  const dir = artifactsOf(project, job);
  const files = await filesUnder(dir);
  for (const file of ["attic-ci/report.json", "attic-ci/timeline.svg", "attic-ci/metrics.txt"]) {
    assert(file in files, `${job}'s artifacts hold no ${file}: ${Object.keys(files).join(", ")}`);
  }
  const dotenv = files[".gitlab-ci-reports/dotenv/attic-ci/attic-ci.env"];
  assert(dotenv !== undefined, `no dotenv report: ${Object.keys(files).join(", ")}`);
  for (const [file, text] of Object.entries(files)) {
    assert(!text.includes(token), `${job}'s artifact ${file} holds the token`);
  }

  const report = readSavedReport(files["attic-ci/report.json"]!);
  const svg = files["attic-ci/timeline.svg"]!;
  assert(svg.startsWith("<svg ") && !svg.includes("<script"), svg.slice(0, 200));
  const shown = pictureText(svg);
  assertIncludes(shown, "pushed during the build");
  assertIncludes(shown, "pushed at the end");
  assert(shown.split("\n").includes(report.incremental.toLocaleString("en-US")), shown);
  assert(shown.split("\n").includes(report.finalPush.toLocaleString("en-US")), shown);
  const pushed = report.paths.filter((p) => p.pushedAt !== null);
  assert(pushed.length > 0, "the report has no pushed path");
  if (report.paths.length <= DETAIL_LIMIT) {
    for (const p of pushed) assertIncludes(shown, nameOf(p.path), "a pushed path is not named");
  } else {
    assertIncludes(
      shown,
      `slowest to reach the cache (of ${report.paths.length.toLocaleString("en-US")} paths)`,
    );
  }
  assertIncludes(files["attic-ci/metrics.txt"]!, `attic_ci_paths_pushed ${report.pushed}\n`);
  assert(files["attic-ci/metrics.txt"]!.endsWith("# EOF\n"));
  assertIncludes(dotenv, `ATTIC_CI_PUSHED=${report.pushed}\n`);
  return report;
}

Deno.test("a nix-build job with default inputs keeps its report, timeline picture, metrics and dotenv as artifacts; the picture names what it pushed; no token in them", async () => {
  const project = await componentProject({
    pipeline: `include:
  - component: ${selfInclude("nix-build")}
    inputs:
      cache: main
      server: http://attic.test.invalid/
`,
  });
  try {
    const world = project.world;
    const result = await project.run([], { env: world.env });
    assertEquals(result.code, 0, result.output);
    const report = await assertJobResults(project, "nix-build", world.token);

    assertEquals(report.command, "build");
    assertEquals(report.exitCode, 0);
    const log = await project.jobLog("nix-build");
    const summary = /^watch-store pushed (\d+) store paths incrementally$/m.exec(log);
    assertEquals(Number(summary?.[1]), report.incremental, log);
    assertIncludes(log, "written to");
    // Every output the build made is in the cache, and in the report.
    const { valid } = await storePathsOf(world.tag);
    const cached = new Set(await cachedPaths(`${world.root}/caches/main`));
    const reported = new Set(report.paths.map((p) => p.path));
    for (const path of valid) {
      assert(cached.has(path), `${path} is not cached`);
      assert(reported.has(path), `${path} is not in the report`);
    }
    // The phases the picture draws: the build's end, the drain, the final push.
    const p = report.phases!;
    assert(p.buildEndedAt !== null && p.drainStartedAt !== null && p.drainEndedAt !== null, "");
    assert(p.finalPushStartedAt !== null && p.finalPushEndedAt !== null);
    assert(report.startedAt <= p.buildEndedAt! && p.buildEndedAt! <= p.drainEndedAt!);
    assert(p.drainEndedAt! <= p.finalPushStartedAt! && p.finalPushEndedAt! <= report.endedAt);
    assertIncludes(
      pictureText((await filesUnder(artifactsOf(project, "nix-build")))["attic-ci/timeline.svg"]!),
      "build ended",
    );
    assert(!result.output.includes(world.token), "the token is in the pipeline's output");
  } finally {
    await project.dispose();
  }
});

Deno.test("a watch-store mixin job that fails halfway keeps its results as artifacts: after_script's stop writes them, when: always keeps them", async () => {
  const project = await componentProject({
    pipeline: `include:
  - component: ${selfInclude("watch-store")}
    inputs:
      cache: main
      server: http://attic.test.invalid/

build:
  extends: .attic-ci-watch-store
  script:
    - nix build --no-link .#second
    - nix build --no-link .#failing
    - echo never reached
`,
  });
  try {
    const world = project.world;
    const result = await project.run([], { env: world.env });
    assert(result.code !== 0, `the failing job passed:\n${result.output}`);
    assertIncludes(result.output, "FAIL  build");
    const report = await assertJobResults(project, "build", world.token);

    assertEquals(report.command, "stop");
    // What the job finished before its failing line is cached, and in the report and picture.
    const { valid } = await storePathsOf(world.tag);
    const reported = new Set(report.paths.filter((p) => p.pushedAt !== null).map((p) => p.path));
    for (const path of valid) assert(reported.has(path), `${path} is not in the report`);
    // `.#second` has an l2n1 of its own (tag "<tag>-b"), built and pushed; `.#failing`'s failed.
    assert(
      ![...reported].some((p) => p.endsWith(`-${world.tag}-f-l2n1`)),
      "the failed output was pushed",
    );
    // The watcher ran in the shell executor: stop saw the script's end and the watcher's drain.
    assert(report.phases?.buildEndedAt != null, "no build end");
    assert(report.phases?.drainStartedAt != null && report.phases.drainEndedAt != null);
    const log = await project.jobLog("build");
    assert(log.indexOf("$ attic-ci stop") < log.indexOf("written to"), log);
  } finally {
    await project.dispose();
  }
});

Deno.test("artifacts: false writes none of the files, and the job passes all the same", async () => {
  const project = await componentProject({
    pipeline: `include:
  - component: ${selfInclude("nix-build")}
    inputs:
      cache: main
      server: http://attic.test.invalid/
      installables: [".#second"]
      artifacts: false
`,
    sleep: "0",
  });
  try {
    const result = await project.run([], { env: project.world.env });
    assertEquals(result.code, 0, result.output);
    const files = await filesUnder(artifactsOf(project, "nix-build")).catch(() => ({}));
    assertEquals(Object.keys(files), []);
    assert(!(await Deno.stat(`${project.dir}/attic-ci`).then(() => true, () => false)));
  } finally {
    await project.dispose();
  }
});
