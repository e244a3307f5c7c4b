/**
 * Made-up benchmark results for the rendering tests: plausible summaries, no runs.
 *
 * @module
 */

import { DEFAULT_SHAPE } from "../../bench/graph.ts";
import { MODELLED_NETWORK, type NetworkModel } from "../../bench/network.ts";
import type { BenchResults } from "../../bench/results.ts";
import { STRATEGIES, type StrategyId } from "../../bench/strategies.ts";
import type { ScenarioSummary, StrategySummary } from "../../bench/summary.ts";
import type { ScenarioResult } from "../../bench/suite.ts";

/** A strategy summary with plausible numbers: medians `build` and `cached` seconds. */
export function strategy(id: StrategyId, build: number, cached: number | null): StrategySummary {
  const s = (x: number) => ({
    n: 3,
    min: x * 0.9,
    q1: x * 0.95,
    median: x,
    q3: x * 1.05,
    max: x * 1.1,
  });
  return {
    strategy: id,
    name: STRATEGIES[id].name,
    runs: 3,
    unexpected: 0,
    build: s(build),
    startup: s(0.01),
    cached: cached === null ? null : s(cached),
    buildRatio: build / 10,
    cachedRatio: cached === null ? null : cached / 10,
    overheadPercent: (build - 10) * 10,
    pushInvocations: id === "a" ? null : s(2),
    finished: s(100),
    cachedFraction: { n: 3, min: 1, q1: 1, median: 1, q3: 1, max: 1 },
    detection: id === "d" ? { samples: 10, p50: 20, p99: 45, max: 50, unobserved: 0 } : null,
    helper: null,
    server: id === "f"
      ? {
        requests: s(40),
        missingPaths: s(12),
        uploads: s(27),
        uploadedMiB: s(1.5),
        cpuSeconds: s(0.4),
        refused: 0,
      }
      : null,
  };
}

/** Four strategies on a ten-second build: (f) the built-in client. */
export const summary: ScenarioSummary = {
  id: "n10-modelled",
  failing: false,
  strategies: [
    strategy("a", 10, null),
    strategy("b", 10, 18),
    strategy("d", 10.5, 11),
    strategy("f", 10.2, 10.6),
  ],
};

/** The same strategies when the builders compute: pushing slows the build more. */
export const computingSummary: ScenarioSummary = {
  id: "n10-modelled-cpu",
  failing: false,
  strategies: [
    strategy("a", 10, null),
    strategy("b", 10, 18),
    strategy("d", 11.5, 12),
    strategy("f", 10.8, 11.1),
  ],
};

/** The same strategies when the build fails halfway: (b) cached nothing. */
export const failingSummary: ScenarioSummary = {
  id: "n10-fail",
  failing: true,
  strategies: summary.strategies.map((s) =>
    s.strategy === "b"
      ? { ...s, cachedFraction: { ...s.cachedFraction!, min: 0, q1: 0, median: 0, q3: 0, max: 0 } }
      : s
  ),
};

/**
 * Results of one ten-derivation scenario (and, when asked, its twin whose
 * builders compute and its failing twin).
 */
export function results(
  network: NetworkModel = MODELLED_NETWORK,
  options: { failing?: boolean; computing?: boolean } = {},
): BenchResults {
  const result = (failing: boolean, computing = false): ScenarioResult => ({
    scenario: {
      id: failing ? "n10-fail" : computing ? "n10-cpu" : "n10",
      shape: { ...DEFAULT_SHAPE, nodes: 10 },
      builders: computing ? "cpu" : "sleep",
      network,
      rounds: 3,
      failing,
      strategies: ["a", "b", "d", "f"],
    },
    loopsPerSecond: computing ? 360_000 : null,
    plan: { nodes: 10, totalBuildSeconds: 2, totalOutputMiB: 1, criticalPathSeconds: 1 },
    runs: [],
  });
  return {
    schema: "attic-ci/benchmarks@1",
    preset: "custom",
    startedAt: "2026-01-01T00:00:00Z",
    endedAt: "2026-01-01T00:01:00Z",
    machine: {
      cpu: "cpu",
      cores: 2,
      memoryGiB: 1,
      os: "os",
      kernel: "k",
      deno: "d",
      nix: "nix (Nix) 2.8.0",
      atticCi: "0",
      atticCiSources: "x",
      atticDoubleSources: "y",
      atticServerSources: "z",
    },
    cacheKind: "attic",
    maxJobs: 2,
    scenarios: [
      { result: result(false), summary },
      ...(options.computing ? [{ result: result(false, true), summary: computingSummary }] : []),
      ...(options.failing ? [{ result: result(true), summary: failingSummary }] : []),
    ],
  };
}
