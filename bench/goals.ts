/**
 * The performance goals of attic-ci's default configuration (strategy f), each
 * checked against a run's results: met or not, with the measured figure — a
 * table for docs/benchmarks.md, never a test (performance is measured, not
 * asserted).
 *
 * Where the build's own Nix reads the cache (f does: that is the closed
 * loop), its build takes longer by what asking the cache for every path costs
 * it, whoever fills the cache; (h) is the build alone reading the same cache.
 * So the overhead goals show both: against the build alone (a), and against
 * the same build reading the cache (h), which is what attic-ci adds.
 *
 * @module
 */

import type { ScenarioEntry } from "./results.ts";
import type { Table } from "./render_table.ts";

/** One goal checked on one scenario. */
export interface GoalCheck {
  readonly goal: string;
  readonly scenario: string;
  /** The measured figure, as it reads in the table. */
  readonly measured: string;
  readonly target: string;
  /** Whether the figure meets the target; null when the run lacks what it needs. */
  readonly met: boolean | null;
}

const SLEEP_OVERHEAD = 2;
const SLEEP_CACHED = 1.05;
const CPU_OVERHEAD_POINTS = 2;
const CPU_CACHED = 1.1;
const CPU_PER_PATH_MS = 3;
const SETUP_SECONDS = 0.1;
const DETECTION_P99_MS = 100;

/**
 * Every goal on every scenario it applies to (successful scenarios that ran
 * the default configuration, f).
 *
 * @example
 * ```ts
 * const checks = checkGoals(results.scenarios);
 * checks.filter((c) => c.met === false);
 * ```
 */
export function checkGoals(scenarios: readonly ScenarioEntry[]): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const { result, summary } of scenarios) {
    if (summary.failing) continue;
    const get = (id: string) => summary.strategies.find((s) => s.strategy === id);
    const a = get("a");
    const f = get("f");
    if (f === undefined) continue;
    const h = get("h");
    const id = summary.id;
    const computing = result.scenario.builders === "cpu";
    const reference = a?.build?.median ?? null;
    const overAgainstH = h?.build && f.build && reference
      ? ((f.build.median - h.build.median) / reference) * 100
      : null;
    const cachedAgainstH = h?.build && f.cached ? f.cached.median / h.build.median : null;
    if (!computing && result.scenario.network.name !== "none") {
      checks.push({
        goal: "sleeping builders: build overhead",
        scenario: id,
        measured: againstBoth(percent(f.overheadPercent), percent(overAgainstH)),
        target: `≤ ${SLEEP_OVERHEAD} %`,
        met: within(f.overheadPercent, SLEEP_OVERHEAD),
      });
      checks.push({
        goal: "sleeping builders: everything cached",
        scenario: id,
        measured: againstBoth(times(f.cachedRatio), times(cachedAgainstH)),
        target: `≤ ${SLEEP_CACHED.toFixed(2)}×`,
        met: within(f.cachedRatio, SLEEP_CACHED),
      });
    }
    if (computing) {
      const b = get("b");
      const points = f.overheadPercent !== null && b?.overheadPercent != null
        ? f.overheadPercent - b.overheadPercent
        : null;
      checks.push({
        goal: "computing builders: build overhead beyond (b)'s",
        scenario: id,
        measured: points === null
          ? "—"
          : `${signed(points)} points (${percent(f.overheadPercent)} against ${
            percent(b?.overheadPercent ?? null)
          }; against (h): ${percent(overAgainstH)})`,
        target: `≤ ${CPU_OVERHEAD_POINTS} points`,
        met: within(points, CPU_OVERHEAD_POINTS),
      });
      checks.push({
        goal: "computing builders: everything cached",
        scenario: id,
        measured: againstBoth(times(f.cachedRatio), times(cachedAgainstH)),
        target: `≤ ${CPU_CACHED.toFixed(2)}×`,
        met: within(f.cachedRatio, CPU_CACHED),
      });
    }
    const cpu = f.helper?.cpuPerPathMs ?? null;
    checks.push({
      goal: "helper CPU per pushed path (after the build started)",
      scenario: id,
      measured: cpu === null ? "—" : `${cpu.median.toFixed(1)} ms`,
      target: `≤ ${CPU_PER_PATH_MS} ms`,
      met: within(cpu?.median ?? null, CPU_PER_PATH_MS),
    });
    const setup = f.helper?.setupSeconds ?? null;
    const latency = result.scenario.network.latencyMs;
    checks.push({
      goal: "`nix` starts after the helper's own start-up",
      scenario: id,
      measured: setup === null ? "—" : `${(setup.median * 1000).toFixed(0)} ms` +
        (latency > 0
          ? ` (the cache's configuration, one ${latency} ms round trip, asked as the code loads)`
          : ""),
      target: `≤ ${SETUP_SECONDS * 1000} ms`,
      met: within(setup?.median ?? null, SETUP_SECONDS),
    });
    const detection = f.detection;
    checks.push({
      goal: "detection p99",
      scenario: id,
      measured: detection === null ? "—" : `${detection.p99.toFixed(0)} ms`,
      target: `≤ ${DETECTION_P99_MS} ms`,
      met: within(detection?.p99 ?? null, DETECTION_P99_MS),
    });
  }
  return checks;
}

/** The checks as a table: goal, scenario, measured, target, met. */
export function goalTable(checks: readonly GoalCheck[]): Table {
  return {
    header: ["goal", "scenario", "(f) measured", "target", "met"],
    right: [],
    rows: checks.map((c) => [
      c.goal,
      c.scenario,
      c.measured,
      c.target,
      c.met === null ? "—" : c.met ? "yes" : "no",
    ]),
  };
}

function within(value: number | null, limit: number): boolean | null {
  return value === null ? null : value <= limit;
}

function againstBoth(againstA: string, againstH: string): string {
  return `${againstA} (against (h): ${againstH})`;
}

function percent(value: number | null): string {
  return value === null ? "—" : `${signed(value)} %`;
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${value.toFixed(1)}`;
}

function times(ratio: number | null): string {
  return ratio === null ? "—" : `${ratio.toFixed(2)}×`;
}
