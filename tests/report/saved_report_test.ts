/**
 * A JSON report read back for `render`: a report of this version as
 * written, an older one without the newer fields, and one line naming what
 * is wrong with anything else.
 */

import { readSavedReport, SavedReportError } from "../../src/report/saved_report.ts";
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { syntheticReport } from "../helpers/report_fixture.ts";

Deno.test("readSavedReport() reads a report as --report writes it", () => {
  const report = syntheticReport(5);
  const read = readSavedReport(JSON.stringify(report, null, 2));
  assertEquals(read.paths, report.paths);
  assertEquals(read.phases, report.phases);
  assertEquals(read.transfer, report.transfer);
  assertEquals(read.pushed, report.pushed);
});

Deno.test("readSavedReport() reads an older report without phases, omitted or transfer", () => {
  const { phases: _p, omitted: _o, transfer: _t, attribution: _a, ...old } = syntheticReport(3);
  const read = readSavedReport(JSON.stringify(old));
  assertEquals(read.phases, null);
  assertEquals(read.omitted, { paths: 0, pushCalls: 0 });
  assertEquals(read.transfer, null);
  assertEquals(read.attribution.mode, "all");
});

Deno.test("readSavedReport() names what is wrong: not JSON, another schema, a missing field", () => {
  const error = (text: string) => assertThrows(() => readSavedReport(text), "");
  assertEquals(error("{").name, "SavedReportError");
  assertEquals(
    error('{"schema": "attic-ci/benchmarks@1"}').message,
    'is not an attic-ci report: its schema is "attic-ci/benchmarks@1", not "attic-ci/report@1"',
  );
  const { paths: _, ...noPaths } = syntheticReport(1);
  const missing = error(JSON.stringify(noPaths));
  assertEquals(missing instanceof SavedReportError, true);
  assertEquals(missing.message.startsWith("is not a complete attic-ci report: paths:"), true);
});
