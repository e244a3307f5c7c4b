/**
 * Runs the scenarios: every round runs every strategy once, in an order that
 * rotates from round to round, each on a fresh instance of the same graph
 * shape (a new tag, so Nix really builds) and a fresh, empty cache. Each run
 * is measured, inspected, and cleaned up.
 *
 * @module
 */

import type { TransferStats } from "../src/backends/push_backend.ts";
import { deleteStorePathsOf, storePathsOf } from "../tests/helpers/nix.ts";
import {
  type CacheTarget,
  createDoubleTarget,
  type ServerLaunch,
  type ServerMeasures,
  startServerTarget,
} from "./cache_target.ts";
import { type GraphPlan, planGraph, renderGraph } from "./graph.ts";
import { LockObserver } from "./lock_observer.ts";
import type { Scenario } from "./options.ts";
import { STRATEGIES, type StrategyId } from "./strategies.ts";

/** What the helper reported about one run (strategies d, e and f). */
export interface HelperMeasures {
  readonly incremental: number | null;
  readonly finalPush: number | null;
  readonly pushed: number | null;
  readonly failed: number;
  readonly retries: number | null;
  readonly pushInvocations: number | null;
  readonly drainSeconds: number | null;
  readonly peakRssBytes: number | null;
  readonly cpuSeconds: number | null;
  /** Seconds from spawn to the last `pushedAt` of this graph's paths. */
  readonly lastPushSeconds: number | null;
  /** Paths of other processes on the machine that the helper also pushed. */
  readonly foreignPaths: number;
  /** The built-in client's transfer counts (f); null for the CLI, absent in older results. */
  readonly transfer?: TransferStats | null;
  /**
   * Seconds from the helper's own start-up (its code running, after Deno's
   * start-up) until `nix-build` started: the set-up the build waits for.
   * Absent in older results and where the helper reported no start-up.
   */
  readonly setupSeconds?: number | null;
  /** The helper's CPU after the build started, per path it pushed, in ms; absent likewise. */
  readonly cpuPerPathMs?: number | null;
}

/** The measurements of one run of one strategy. */
export interface RunRecord {
  readonly scenario: string;
  readonly strategy: StrategyId;
  readonly round: number;
  /** Position of the strategy within its round (0-based). */
  readonly order: number;
  readonly tag: string;
  readonly exitCode: number;
  /** Whether the exit code is the expected one (0, or non-zero when failing on purpose). */
  readonly asExpected: boolean;
  /** Seconds from spawn until `nix-build` exited. */
  readonly buildSeconds: number | null;
  /** Seconds from spawn until `nix-build` started (the helper's start-up, for d and e). */
  readonly startupSeconds: number | null;
  /** Seconds from spawn until the strategy exited (everything it pushes is pushed). */
  readonly doneSeconds: number;
  /** Output paths of the graph in the store, valid or not. */
  readonly outputs: number;
  /** Valid (finished) outputs. */
  readonly finished: number;
  /** Finished outputs found in the cache. */
  readonly cached: number;
  /**
   * Push calls: invocations of the attic CLI double, or, for the built-in
   * client (whose calls the server cannot tell apart), the helper's own count.
   */
  readonly pushInvocations: number;
  /** Lock removal (independent observer) → helper's `queuedAt`, per path, in ms. */
  readonly detectionMs: readonly number[];
  /** Paths the helper queued whose lock removal the observer did not see. */
  readonly unobserved: number;
  readonly helper: HelperMeasures | null;
  /** What the Attic test server counted (f); null for the double, absent in older results. */
  readonly server?: ServerMeasures | null;
}

/** Results of one scenario. */
export interface ScenarioResult {
  readonly scenario: Scenario;
  /**
   * Iterations per CPU second the computing builders were given (cpu_work.ts);
   * null when they sleep, absent in older results.
   */
  readonly loopsPerSecond?: number | null;
  /** Totals of the graph shape, for the docs. */
  readonly plan: {
    readonly nodes: number;
    readonly totalBuildSeconds: number;
    readonly totalOutputMiB: number;
    readonly criticalPathSeconds: number;
  };
  readonly runs: readonly RunRecord[];
}

/** How runs are executed. */
export interface SuiteSettings {
  readonly maxJobs: number;
  /** Parent of the per-run directories. */
  readonly workDir: string;
  /** The attic CLI test double. */
  readonly atticDouble: string;
  /** How to start the Attic test server (strategy f). */
  readonly server: ServerLaunch;
  /** The computing builders' calibration; null when no scenario needs it. */
  readonly loopsPerSecond: number | null;
  /** How to start the helper, before its subcommand. */
  readonly helperArgv: readonly string[];
  readonly runTimeoutSeconds: number;
  /** Progress output. */
  readonly log: (line: string) => void;
}

/**
 * Run one scenario's rounds.
 *
 * @example
 * ```ts
 * const result = await runScenario(presetScenarios("quick")[0]!, settings);
 * ```
 */
export async function runScenario(
  scenario: Scenario,
  settings: SuiteSettings,
): Promise<ScenarioResult> {
  const plan = planGraph(scenario.shape);
  const loopsPerSecond = scenario.builders === "cpu" ? settings.loopsPerSecond : null;
  if (scenario.builders === "cpu" && loopsPerSecond === null) {
    throw new Error(`Cannot run ${scenario.id} as its computing builders are not calibrated`);
  }
  const runs: RunRecord[] = [];
  const total = scenario.rounds * scenario.strategies.length;
  for (let round = 0; round < scenario.rounds; round++) {
    const order = rotate(scenario.strategies, round);
    for (const [position, strategy] of order.entries()) {
      const record = await runOnce(
        scenario,
        plan,
        loopsPerSecond,
        strategy,
        round,
        position,
        settings,
      );
      runs.push(record);
      settings.log(
        `  [${runs.length}/${total}] ${scenario.id} round ${round + 1} (${strategy}) ` +
          `${STRATEGIES[strategy].name}: build ${fmt(record.buildSeconds)} s, done ${
            fmt(record.doneSeconds)
          } s, cached ${record.cached}/${record.finished}, ${record.pushInvocations} push calls` +
          (record.asExpected ? "" : ` — UNEXPECTED exit ${record.exitCode}`),
      );
    }
  }
  return {
    scenario,
    loopsPerSecond,
    plan: {
      nodes: plan.nodes.length,
      totalBuildSeconds: plan.totalBuildMs / 1000,
      totalOutputMiB: plan.totalOutputBytes / 1024 / 1024,
      criticalPathSeconds: plan.criticalPathMs / 1000,
    },
    runs,
  };
}

/**
 * `items` rotated left by `by` places: each round starts with another strategy.
 *
 * @example
 * ```ts
 * rotate(["a", "b", "c"], 1); // ["b", "c", "a"]
 * ```
 */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function runOnce(
  scenario: Scenario,
  plan: GraphPlan,
  loopsPerSecond: number | null,
  strategy: StrategyId,
  round: number,
  order: number,
  settings: SuiteSettings,
): Promise<RunRecord> {
  const tag = `r${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  // Every store name of this instance carries `-bench-<tag>-` (graph.ts's namePrefix).
  const instance = `bench-${tag}`;
  const ours = (path: string) => path.includes(`-${instance}-`);
  const runDir = `${settings.workDir}/${scenario.id}-${strategy}-${round + 1}-${tag}`;
  await Deno.mkdir(runDir, { recursive: true });
  const graphFile = `${runDir}/graph.nix`;
  await Deno.writeTextFile(
    graphFile,
    renderGraph(plan, tag, { failHalfway: scenario.failing, loopsPerSecond }),
  );
  // The server (f) is started before the clock runs, as a real one would already be up.
  const target: CacheTarget = STRATEGIES[strategy].cache === "attic-server"
    ? await startServerTarget(runDir, scenario.network, settings.server)
    : await createDoubleTarget(runDir, scenario.network, settings.atticDouble);
  let outcome;
  const observer = new LockObserver({ accept: ours });
  try {
    outcome = await STRATEGIES[strategy].run({
      runDir,
      graphFile,
      maxJobs: settings.maxJobs,
      target,
      helperArgv: settings.helperArgv,
      timeoutMs: settings.runTimeoutSeconds * 1000,
    });
  } catch (error) {
    await observer.close();
    await target.finish().catch(() => {});
    throw error;
  }
  // Let the observer's last events through before closing it (outside any timing).
  await new Promise((resolve) => setTimeout(resolve, 200));
  await observer.close();
  const contents = await target.finish();

  const { valid, invalid } = await storePathsOf(instance);
  const cached = (await Promise.all(valid.map((p) => contents.has(p))))
    .filter((present) => present).length;
  const report = outcome.report;
  const detectionMs: number[] = [];
  let unobserved = 0;
  for (const p of report?.paths ?? []) {
    if (!ours(p.path) || p.queuedAt === null || p.phase === "final") continue;
    const removed = observer.removedAt.get(p.path);
    if (removed === undefined) unobserved++;
    else detectionMs.push(p.queuedAt - removed);
  }
  const pushedTimes = (report?.paths ?? []).filter((p) => ours(p.path)).map((p) => p.pushedAt)
    .filter((t): t is number => t !== null);
  const helper: HelperMeasures | null = report === null ? null : {
    incremental: report.incremental,
    finalPush: report.finalPush,
    pushed: report.pushed,
    failed: report.failed.length,
    retries: report.retries,
    pushInvocations: report.pushInvocations,
    drainSeconds: report.drainSeconds,
    peakRssBytes: report.resources.peakRssBytes,
    cpuSeconds: report.resources.cpuSeconds,
    lastPushSeconds: pushedTimes.length === 0
      ? null
      : (Math.max(...pushedTimes) - outcome.startedAt) / 1000,
    foreignPaths: report.paths.filter((p) => !ours(p.path)).length,
    transfer: report.transfer ?? null,
    setupSeconds: report.startup && outcome.buildStartedAt !== null
      ? (outcome.buildStartedAt - report.startup.helperStartedAt) / 1000
      : null,
    cpuPerPathMs: report.startup && report.pushed > 0
      ? ((report.resources.cpuSeconds - report.startup.cpuSeconds) * 1000) / report.pushed
      : null,
  };
  const asExpected = scenario.failing ? outcome.exitCode !== 0 : outcome.exitCode === 0;
  const record: RunRecord = {
    scenario: scenario.id,
    strategy,
    round,
    order,
    tag,
    exitCode: outcome.exitCode,
    asExpected,
    buildSeconds: outcome.buildEndedAt === null
      ? null
      : (outcome.buildEndedAt - outcome.startedAt) / 1000,
    startupSeconds: outcome.buildStartedAt === null
      ? null
      : (outcome.buildStartedAt - outcome.startedAt) / 1000,
    doneSeconds: (outcome.endedAt - outcome.startedAt) / 1000,
    outputs: valid.length + invalid.length,
    finished: valid.length,
    cached,
    pushInvocations: contents.invocations ?? report?.pushInvocations ?? 0,
    detectionMs,
    unobserved,
    helper,
    server: contents.server,
  };
  if (asExpected) await cleanup(runDir, instance, settings);
  else settings.log(`    kept ${runDir}`);
  return record;
}

/**
 * Delete the run's directory (cache, state, out-link) and then, with
 * `nix-store --delete`, the graph instance's own store paths, which are no
 * longer rooted. Never a whole-store GC.
 */
async function cleanup(runDir: string, instance: string, settings: SuiteSettings) {
  await Deno.remove(runDir, { recursive: true });
  // A process that still has one of the paths open (e.g. a push just ending)
  // keeps it alive for a moment: try again a little later.
  for (const wait of [0, 2000, 10000]) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      await deleteStorePathsOf(instance);
      return;
    } catch (error) {
      if (wait === 10000) settings.log(`    note: ${(error as Error).message}`);
    }
  }
}

function fmt(value: number | null): string {
  return value === null ? "-" : value.toFixed(2);
}
