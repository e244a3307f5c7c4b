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

Deno.test("summarizeScenario() gives the built-in client's server counts and request retries", () => {
  const server = (uploads: number) => ({
    requests: { cacheConfig: 1, missingPaths: 10, uploadPath: uploads },
    refused: 1,
    uploadBytes: uploads * 64 * 1024,
    cpuSeconds: 0.5,
  });
  const helper = (retries: number) => ({
    incremental: 11,
    finalPush: 0,
    pushed: 11,
    failed: 0,
    retries: 0,
    pushInvocations: 10,
    drainSeconds: 0.2,
    peakRssBytes: 100 * 1024 * 1024,
    cpuSeconds: 1,
    lastPushSeconds: 12,
    foreignPaths: 0,
    transfer: {
      uploaded: 11,
      uploadedBytes: 11 * 65536,
      alreadyCached: 0,
      fromUpstream: 0,
      requestRetries: retries,
    },
  });
  const result = {
    ...results().scenarios[0]!.result,
    runs: [
      run("a", 10, 10),
      { ...run("f", 11, 12), helper: helper(1), server: server(11) },
      { ...run("f", 11, 12), helper: helper(2), server: server(13) },
    ],
  };
  const summary = summarizeScenario(result);
  const f = summary.strategies.find((s) => s.strategy === "f")!;
  assertEquals(f.server?.requests?.median, 23);
  assertEquals(f.server?.uploads?.median, 12);
  assertEquals(f.server?.uploadedMiB?.median, 0.75);
  assertEquals(f.server?.refused, 2);
  assertEquals(f.helper?.requestRetries, 3);
  assertEquals(f.helper?.peakRssMiB?.median, 100);
  // Runs without a server (the CLI strategies, older results) have none.
  assertEquals(summary.strategies.find((s) => s.strategy === "a")!.server, null);
});
