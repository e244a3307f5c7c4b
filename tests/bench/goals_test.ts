/**
 * The default configuration's goals, checked against results: each goal on
 * the scenarios it applies to, met or not, with what was measured — the
 * overhead goals both against the build alone (a) and against the same build
 * reading the cache (h).
 */

import { checkGoals, goalTable } from "../../bench/goals.ts";
import { toMarkdown } from "../../bench/render_table.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { results } from "./testdata.ts";

Deno.test("checkGoals() checks the sleeping scenario's overhead and time to cached, CPU, set-up and detection", () => {
  const checks = checkGoals(results().scenarios);
  assertEquals(checks.map((c) => c.goal), [
    "sleeping builders: build overhead",
    "sleeping builders: everything cached",
    "helper CPU per pushed path (after the build started)",
    "`nix` starts after the helper's own start-up",
    "detection p99",
  ]);
  const overhead = checks[0]!;
  assertEquals(overhead.target, "≤ 2 %");
  assertEquals(overhead.measured.startsWith("+2.0 %"), true, overhead.measured);
  assertEquals(overhead.met, true);
  const cached = checks[1]!;
  assertEquals(cached.measured.startsWith("1.06×"), true, cached.measured);
  assertEquals(cached.met, false, "1.06× is over 1.05×");
});

Deno.test("checkGoals() compares computing builders' overhead with the push at the end's, in points", () => {
  const checks = checkGoals(results(undefined, { computing: true }).scenarios);
  const points = checks.find((c) => c.goal === "computing builders: build overhead beyond (b)'s");
  assert(points !== undefined, "no computing goal");
  assertIncludes(points.measured, "points (+8.0 % against");
  assertEquals(points.target, "≤ 2 points");
});

Deno.test("checkGoals() leaves failing scenarios out, and goalTable() says met, not met or unknown", () => {
  const checks = checkGoals(results(undefined, { failing: true }).scenarios);
  assert(checks.every((c) => !c.scenario.includes("fail")));
  const md = toMarkdown(goalTable([
    ...checks,
    { goal: "g", scenario: "s", measured: "—", target: "t", met: null },
  ]));
  assertIncludes(md, "| goal | scenario | (f) measured | target | met |");
  assertIncludes(md, "| g | s | — | t | — |");
  assertIncludes(md, "| no |");
});
