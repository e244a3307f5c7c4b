/**
 * The report's counts as a dotenv report: `NAME=value` lines GitLab accepts
 * (it refuses the whole upload of a malformed one), few of them, and none
 * named like a variable the helper reads.
 */

import { dotenv, reportVariables } from "../../src/report/dotenv.ts";
import {
  BUILD_OPTIONS,
  ENGINE_OPTIONS,
  GLOBAL_OPTIONS,
  variableName,
} from "../../src/options/option_specs.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { ROOT } from "../helpers/nix.ts";
import { syntheticReport } from "../helpers/report_fixture.ts";

Deno.test("dotenv() writes the counts as NAME=value lines GitLab's dotenv report accepts", () => {
  const text = dotenv(syntheticReport(20));
  assertEquals(
    text,
    [
      "ATTIC_CI_PUSHED=18",
      "ATTIC_CI_PUSHED_INCREMENTAL=16",
      "ATTIC_CI_PUSHED_FINAL=2",
      "ATTIC_CI_FAILED=2",
      "ATTIC_CI_SUBSTITUTED=14",
      "ATTIC_CI_SUBSTITUTED_FROM_CACHE=12",
      "ATTIC_CI_BUILT=20",
      "ATTIC_CI_DRAIN_SECONDS=1.8",
      `ATTIC_CI_UPLOADED_BYTES=${18 * 181_000}`,
      "",
    ].join("\n"),
  );
  // GitLab's limits: names of letters, digits and _, at most 20 variables, 5 KB in all.
  const lines = text.trimEnd().split("\n");
  assert(lines.length <= 20 && text.length < 5 * 1024);
  for (const line of lines) assert(/^[A-Z_][A-Z0-9_]*=[0-9]+(\.[0-9]+)?$/.test(line), line);
});

Deno.test("dotenv() leaves out the counts a run could not know", () => {
  const names = Object.keys(
    reportVariables({ ...syntheticReport(2), substitution: null, transfer: null }),
  );
  assertEquals(names, [
    "ATTIC_CI_PUSHED",
    "ATTIC_CI_PUSHED_INCREMENTAL",
    "ATTIC_CI_PUSHED_FINAL",
    "ATTIC_CI_FAILED",
    "ATTIC_CI_DRAIN_SECONDS",
  ]);
});

Deno.test("no dotenv variable is one the helper or its templates read: a later job's helper would take it for an option", async () => {
  const read = new Set(
    [...ENGINE_OPTIONS, ...BUILD_OPTIONS, ...GLOBAL_OPTIONS].map((o) => variableName(o.flag)),
  );
  // The variables the templates and the helper read besides the options (dotenv.ts only writes).
  for (const dir of ["src", "templates"]) {
    for await (const file of walk(`${ROOT}/${dir}`)) {
      if (file.endsWith("/src/report/dotenv.ts")) continue;
      for (const [name] of (await Deno.readTextFile(file)).matchAll(/ATTIC_CI_[A-Z0-9_]+/g)) {
        read.add(name);
      }
    }
  }
  assert(read.has("ATTIC_CI_REPORT") && read.has("ATTIC_CI_COMPONENT_SHA"), "the scan found none");
  for (const name of Object.keys(reportVariables(syntheticReport(2)))) {
    assert(!read.has(name), `${name} is read by the helper or a template`);
  }
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (/\.(ts|yml)$/.test(entry.name)) yield path;
  }
}
