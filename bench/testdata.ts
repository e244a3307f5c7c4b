/**
 * A made-up scenario summary for the rendering tests.
 *
 * @module
 */

import type { StrategyId } from "./strategies.ts";
import type { ScenarioSummary, StrategySummary } from "./summary.ts";

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
    name: `strategy ${id}`,
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
  };
}

/** Three strategies on a ten-second build. */
export const summary: ScenarioSummary = {
  id: "n10-modelled",
  failing: false,
  strategies: [strategy("a", 10, null), strategy("b", 10, 18), strategy("d", 10.5, 11)],
};
