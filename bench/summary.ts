/**
 * From runs to results: per scenario and strategy, the medians with their
 * spread, the ratios to the build alone (strategy a), the helper's own
 * numbers and, for the built-in client (f), the test server's counts.
 *
 * @module
 */

import { quantile, summarize, type Summary } from "./stats.ts";
import { STRATEGIES, type StrategyId } from "./strategies.ts";
import type { RunRecord, ScenarioResult } from "./suite.ts";

/** The summary of one strategy in one scenario. */
export interface StrategySummary {
  readonly strategy: StrategyId;
  readonly name: string;
  readonly runs: number;
  /** Runs whose exit code was not the expected one. */
  readonly unexpected: number;
  /** Seconds until the build ended. */
  readonly build: Summary | null;
  /** Seconds from spawn until `nix-build` started (the helper's start-up for d and e). */
  readonly startup: Summary | null;
  /** Seconds until everything finished was cached (the strategy exited); null for (a). */
  readonly cached: Summary | null;
  /** Median build time / median build time of (a). */
  readonly buildRatio: number | null;
  /** Median time until cached / median build time of (a). */
  readonly cachedRatio: number | null;
  /** (median build − median build of (a)) / median build of (a), in percent. */
  readonly overheadPercent: number | null;
  readonly pushInvocations: Summary | null;
  /** Finished derivations (valid outputs) per run. */
  readonly finished: Summary | null;
  /** Fraction of finished outputs found in the cache, 0..1. */
  readonly cachedFraction: Summary | null;
  /** Detection latency over all runs' paths, in ms (d, e and f). */
  readonly detection: DetectionSummary | null;
  readonly helper: HelperSummary | null;
  /** What the Attic test server counted (f). */
  readonly server: ServerSummary | null;
}

/** Lock removal → queued, pooled over the runs. */
export interface DetectionSummary {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Queued paths whose lock removal the bench's observer did not see. */
  readonly unobserved: number;
}

/** The helper's own numbers, over the runs. */
export interface HelperSummary {
  readonly peakRssMiB: Summary | null;
  readonly cpuSeconds: Summary | null;
  readonly incremental: Summary | null;
  readonly finalPush: Summary | null;
  readonly drainSeconds: Summary | null;
  readonly failed: number;
  readonly foreignPaths: number;
  /** The built-in client's request retries, over all runs (null for the attic CLI). */
  readonly requestRetries: number | null;
  /** Seconds from the helper's own start-up to `nix-build`'s start (absent in older results). */
  readonly setupSeconds?: Summary | null;
  /** The helper's CPU after the build started, per pushed path, in ms (absent likewise). */
  readonly cpuPerPathMs?: Summary | null;
}

/** The Attic test server's counts per run (strategy f). */
export interface ServerSummary {
  /** API requests of all routes. */
  readonly requests: Summary | null;
  readonly missingPaths: Summary | null;
  readonly uploads: Summary | null;
  /** NAR MiB read from upload bodies. */
  readonly uploadedMiB: Summary | null;
  /** The server process's CPU seconds. */
  readonly cpuSeconds: Summary | null;
  /** API requests answered with anything but 200, over all runs. */
  readonly refused: number;
}

/** The summary of one scenario. */
export interface ScenarioSummary {
  readonly id: string;
  readonly failing: boolean;
  readonly strategies: readonly StrategySummary[];
}

/**
 * Summarise a scenario's runs.
 *
 * @example
 * ```ts
 * const summary = summarizeScenario(await runScenario(scenario, settings));
 * summary.strategies.find((s) => s.strategy === "d")?.cachedRatio;
 * ```
 */
export function summarizeScenario(result: ScenarioResult): ScenarioSummary {
  const byStrategy = (id: StrategyId) => result.runs.filter((r) => r.strategy === id);
  const reference = summarize(values(byStrategy("a"), (r) => r.buildSeconds))?.median ?? null;
  const ratio = (x: number | null | undefined) =>
    x === null || x === undefined || reference === null || reference === 0 ? null : x / reference;
  return {
    id: result.scenario.id,
    failing: result.scenario.failing,
    strategies: result.scenario.strategies.map((id) => {
      const runs = byStrategy(id);
      const strategy = STRATEGIES[id];
      const build = summarize(values(runs, (r) => r.buildSeconds));
      const cached = strategy.pushes ? summarize(runs.map((r) => r.doneSeconds)) : null;
      const detectionSamples = runs.flatMap((r) => r.detectionMs);
      const helperRuns = runs.filter((r) => r.helper !== null);
      const serverRuns = runs.map((r) => r.server ?? null).filter((m) => m !== null);
      const transfers = helperRuns.map((r) => r.helper?.transfer ?? null).filter((t) => t !== null);
      return {
        strategy: id,
        name: strategy.name,
        runs: runs.length,
        unexpected: runs.filter((r) => !r.asExpected).length,
        build,
        startup: summarize(values(runs, (r) => r.startupSeconds)),
        cached,
        buildRatio: ratio(build?.median),
        cachedRatio: ratio(cached?.median),
        overheadPercent: build === null || reference === null
          ? null
          : ((build.median - reference) / reference) * 100,
        pushInvocations: strategy.pushes ? summarize(runs.map((r) => r.pushInvocations)) : null,
        finished: summarize(runs.map((r) => r.finished)),
        cachedFraction: summarize(runs.map((r) => r.finished === 0 ? 0 : r.cached / r.finished)),
        detection: detectionSamples.length === 0 ? null : {
          samples: detectionSamples.length,
          p50: quantile(detectionSamples, 0.5),
          p99: quantile(detectionSamples, 0.99),
          max: Math.max(...detectionSamples),
          unobserved: runs.reduce((sum, r) => sum + r.unobserved, 0),
        },
        helper: helperRuns.length === 0 ? null : {
          peakRssMiB: summarize(
            values(helperRuns, (r) => r.helper?.peakRssBytes).map((b) => b / 1024 / 1024),
          ),
          cpuSeconds: summarize(values(helperRuns, (r) => r.helper?.cpuSeconds)),
          incremental: summarize(values(helperRuns, (r) => r.helper?.incremental)),
          finalPush: summarize(values(helperRuns, (r) => r.helper?.finalPush)),
          drainSeconds: summarize(values(helperRuns, (r) => r.helper?.drainSeconds)),
          failed: helperRuns.reduce((sum, r) => sum + (r.helper?.failed ?? 0), 0),
          foreignPaths: helperRuns.reduce((sum, r) => sum + (r.helper?.foreignPaths ?? 0), 0),
          requestRetries: transfers.length === 0
            ? null
            : transfers.reduce((sum, t) => sum + t.requestRetries, 0),
          setupSeconds: summarize(values(helperRuns, (r) => r.helper?.setupSeconds)),
          cpuPerPathMs: summarize(values(helperRuns, (r) => r.helper?.cpuPerPathMs)),
        },
        server: serverRuns.length === 0 ? null : {
          requests: summarize(
            serverRuns.map((m) =>
              m.requests.cacheConfig + m.requests.missingPaths + m.requests.uploadPath
            ),
          ),
          missingPaths: summarize(serverRuns.map((m) => m.requests.missingPaths)),
          uploads: summarize(serverRuns.map((m) => m.requests.uploadPath)),
          uploadedMiB: summarize(serverRuns.map((m) => m.uploadBytes / 1024 / 1024)),
          cpuSeconds: summarize(serverRuns.map((m) => m.cpuSeconds)),
          refused: serverRuns.reduce((sum, m) => sum + m.refused, 0),
        },
      };
    }),
  };
}

function values(
  runs: readonly RunRecord[],
  pick: (r: RunRecord) => number | null | undefined,
): number[] {
  return runs.map(pick).filter((v): v is number => v !== null && v !== undefined);
}
