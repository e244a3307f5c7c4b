import { assertEquals } from "../helpers/assert.ts";
import { summarizeScenario } from "../../bench/summary.ts";
import type { RunRecord } from "../../bench/suite.ts";
import { results } from "./testdata.ts";

function run(
  strategy: RunRecord["strategy"],
  build: number,
  done: number,
  detectionMs: number[] = [],
): RunRecord {
  return {
    scenario: "n10",
    strategy,
    round: 0,
    order: 0,
    tag: "r1",
    exitCode: 0,
    asExpected: true,
    buildSeconds: build,
    startupSeconds: 0.1,
    doneSeconds: done,
    outputs: 11,
    finished: 11,
    cached: strategy === "a" ? 0 : 11,
    pushInvocations: strategy === "a" ? 0 : 2,
    detectionMs,
    unobserved: 0,
    helper: null,
  };
}

Deno.test("summarizeScenario() divides by the median build of (a) and pools detection samples", () => {
  const result = {
    ...results().scenarios[0]!.result,
    runs: [
      run("a", 10, 10),
      run("a", 12, 12),
      run("b", 11, 20),
      run("b", 11, 22),
      run("d", 12.1, 13.2, [10, 30]),
      run("d", 12.1, 13.2, [20]),
    ],
  };
  const [a, b, d] = summarizeScenario(result).strategies;
  assertEquals(a!.cached, null);
  assertEquals(b!.cachedRatio, 21 / 11);
  assertEquals(b!.overheadPercent, 0);
  assertEquals(d!.overheadPercent?.toFixed(1), "10.0");
  assertEquals(d!.detection, { samples: 3, p50: 20, p99: 29.8, max: 30, unobserved: 0 });
  assertEquals(d!.cachedFraction?.median, 1);
});
