/**
 * How long the end of a run may take: GitLab stops after_script after
 * RUNNER_AFTER_SCRIPT_TIMEOUT (a Go duration; 5 minutes when unset), counted
 * from after_script's start; `--finish-within` says it anywhere. The deadline
 * keeps time for the report.
 */

import {
  DEFAULT_AFTER_SCRIPT_MS,
  endBudget,
  parseGoDuration,
} from "../../src/options/end_budget.ts";
import { EndDeadline } from "../../src/session/end_deadline.ts";
import { systemClock } from "../../src/system/clock.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";

Deno.test("parseGoDuration() reads what GitLab's runner reads, and refuses the rest", () => {
  assertEquals(parseGoDuration("5m"), 300_000);
  assertEquals(parseGoDuration("300s"), 300_000);
  assertEquals(parseGoDuration("1h30m"), 5_400_000);
  assertEquals(parseGoDuration("2m30.5s"), 150_500);
  assertEquals(parseGoDuration("10m0s"), 600_000);
  assertEquals(parseGoDuration("1500ms"), 1_500);
  for (const bad of ["", "5", "5 m", "m", "five minutes", "-5m", "5x"]) {
    assertEquals(parseGoDuration(bad), null, bad);
  }
});

Deno.test("endBudget(): none outside after_script, GitLab's timeout in it, --finish-within anywhere", () => {
  assertEquals(endBudget(null, {}), null);
  assertEquals(endBudget(null, { CI_JOB_STATUS: "failed" })?.ms, DEFAULT_AFTER_SCRIPT_MS);
  const thirty = endBudget(null, {
    CI_JOB_STATUS: "success",
    RUNNER_AFTER_SCRIPT_TIMEOUT: "30s",
    ATTIC_CI_AFTER_SCRIPT_STARTED: "1700000000",
  });
  assertEquals(thirty?.ms, 30_000);
  assertEquals(thirty?.startedAt, 1_700_000_000_000);
  assertIncludes(thirty!.source, "RUNNER_AFTER_SCRIPT_TIMEOUT=30s");
  const unreadable = endBudget(null, {
    CI_JOB_STATUS: "success",
    RUNNER_AFTER_SCRIPT_TIMEOUT: "soon",
  });
  assertEquals(unreadable?.ms, DEFAULT_AFTER_SCRIPT_MS);
  assertIncludes(unreadable!.source, '"soon" is no duration');
  assertEquals(endBudget(12_000, { CI_JOB_STATUS: "success" }), {
    ms: 12_000,
    source: "--finish-within",
    startedAt: null,
  });
});

Deno.test("EndDeadline counts from after_script's start and keeps time for the report", () => {
  let now = 1_000_000;
  const clock = { ...systemClock, now: () => now };
  const deadline = new EndDeadline(
    { ms: 30_000, source: "x", startedAt: 1_000_000 - 5_000 },
    clock,
  );
  // 30 s budget, 5 s used, 6 s (a fifth) kept for the report.
  assertEquals(deadline.leftMs, 19_000);
  assertEquals(deadline.cap(600_000), 19_000);
  assertEquals(deadline.cap(1_000), 1_000);
  now += 25_000;
  assertEquals(deadline.leftMs, 0);
  assertIncludes(
    new EndDeadline({ ms: 300_000, source: "y", startedAt: null }, clock).describe()!,
    "finishing within 290 s: y",
  );
  const none = new EndDeadline(null, clock);
  assert(!none.limited);
  assertEquals(none.cap(5), 5);
  assertEquals(none.describe(), null);
});
