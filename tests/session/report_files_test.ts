/**
 * The report's files as the configuration asks: each where its option says,
 * all four in the artifacts folder with `--artifacts`, and an artifacts
 * folder that cannot be written only warns. No Nix: a made-up report.
 */

import { ARTIFACTS_DIR } from "../../src/options/option_specs.ts";
import { engineConfig } from "../../src/options/engine_config.ts";
import { ENGINE_OPTIONS } from "../../src/options/option_specs.ts";
import { parseCommandArgs } from "../../src/options/parse_args.ts";
import { readSavedReport } from "../../src/report/saved_report.ts";
import { ARTIFACT_FILES, writeReportFiles } from "../../src/session/report_files.ts";
import { assert, assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";
import { testContext } from "../helpers/context.ts";
import { tempDir } from "../helpers/nix.ts";
import { syntheticReport } from "../helpers/report_fixture.ts";

const NONE = {
  reportFile: null,
  timelineFile: null,
  metricsFile: null,
  dotenvFile: null,
  artifactsDir: null,
};

Deno.test("--artifacts writes report.json, timeline.svg, metrics.txt and attic-ci.env into attic-ci/ of the working directory", async () => {
  const dir = await tempDir();
  try {
    // The working directory decides, not CI_PROJECT_DIR (gitlab-ci-local sets it to /builds/…).
    const env = { ATTIC_CI_ARTIFACTS: "true\n", CI_PROJECT_DIR: "/builds/group/project" };
    const config = engineConfig(
      await parseCommandArgs(["--backend", "nix-copy", "--to", "file:///c"], ENGINE_OPTIONS, env),
      env,
    );
    assertEquals(config.artifactsDir, ARTIFACTS_DIR);
    const t = testContext({ cwd: dir });
    const report = syntheticReport(20);
    await writeReportFiles(t.ctx, report, config);
    const folder = `${dir}/attic-ci`;
    const names = [...Deno.readDirSync(folder)].map((e) => e.name).sort();
    assertEquals(names, Object.values(ARTIFACT_FILES).sort());
    assertEquals(readSavedReport(await Deno.readTextFile(`${folder}/report.json`)).pushed, 18);
    assert((await Deno.readTextFile(`${folder}/timeline.svg`)).startsWith("<svg "));
    assert((await Deno.readTextFile(`${folder}/metrics.txt`)).endsWith("# EOF\n"));
    assertIncludes(await Deno.readTextFile(`${folder}/attic-ci.env`), "ATTIC_CI_PUSHED=18\n");
    assertIncludes(t.log(), `written to ${folder}/ (the job's artifacts)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--artifacts is off by default and with a false variable (the input artifacts: false)", async () => {
  const config = async (env: Record<string, string>) =>
    engineConfig(
      await parseCommandArgs(["--backend", "nix-copy", "--to", "file:///c"], ENGINE_OPTIONS, env),
      env,
    );
  assertEquals((await config({})).artifactsDir, null);
  assertEquals((await config({ ATTIC_CI_ARTIFACTS: "false\n" })).artifactsDir, null);
  assertEquals((await config({ ATTIC_CI_ARTIFACTS: "true" })).artifactsDir, ARTIFACTS_DIR);
});

Deno.test("each file goes where its option says, relative to the command's working directory", async () => {
  const dir = await tempDir();
  try {
    const t = testContext({ cwd: dir });
    await writeReportFiles(t.ctx, syntheticReport(3), {
      ...NONE,
      reportFile: "r.json",
      timelineFile: `${dir}/t.svg`,
      metricsFile: "m.txt",
      dotenvFile: "d.env",
    });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names, ["d.env", "m.txt", "r.json", "t.svg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an artifacts folder that cannot be written warns; a file named by an option that cannot be written fails", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/attic-ci`, "a file where the folder would go");
    const t = testContext({ cwd: dir });
    await writeReportFiles(t.ctx, syntheticReport(3), { ...NONE, artifactsDir: "attic-ci" });
    assertIncludes(t.log(), `cannot write the report's artifacts to ${dir}/attic-ci/`);
    await assertRejects(() =>
      writeReportFiles(t.ctx, syntheticReport(3), { ...NONE, reportFile: `${dir}/no/such/r.json` })
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
