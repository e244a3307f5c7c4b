/**
 * What the stress task measured, scenario by scenario: the figures for
 * docs/reliability.md and the checks that decide its exit code (anything
 * lost, a broken contract — never a duration).
 *
 * @module
 */

/** A behavioural check: what was expected, and what went wrong (null when it held). */
export interface Check {
  readonly what: string;
  readonly problem: string | null;
}

/** A burst of real derivations through `exec`. */
export interface LoadResult {
  readonly derivations: number;
  readonly maxJobs: number;
  readonly buildStatus: number;
  readonly valid: number;
  readonly pushed: number;
  readonly incremental: number;
  /** Found by the final reconcile: what the watcher missed and the final push caught. */
  readonly reconciled: number;
  readonly outLinks: number;
  readonly maxBatch: number;
  readonly batchBound: number;
  readonly pushCalls: number;
  readonly rescans: number;
  readonly lost: number;
  readonly peakRssBytes: number | null;
  readonly seconds: number;
  readonly storeEntries: number;
  readonly baselineSeconds: number | null;
  readonly reconcileSeconds: number | null;
}

/** One run of the memory series. */
export interface MemoryPoint {
  readonly paths: number;
  readonly store: "real" | "scratch";
  readonly pushed: number;
  readonly lost: number;
  readonly peakRssBytes: number | null;
  readonly seconds: number;
  readonly baselineSeconds: number | null;
  readonly reconcileSeconds: number | null;
  readonly rescans: number;
}

/** The store-scale figures. */
export interface ScaleResult {
  readonly entries: number;
  readonly fillSeconds: number;
  /** `exec -- true` in that store: the helper's whole overhead, process start included. */
  readonly emptyExecSeconds: number;
  /** The same in the store before it was filled (a handful of entries). */
  readonly emptyStoreExecSeconds: number;
  readonly baselineSeconds: number | null;
  readonly reconcileSeconds: number | null;
  /** Rescans over every run in that store (a listing happens only on a rescan). */
  readonly rescans: number;
  /** The same `exec -- true` in the machine's own store, for comparison. */
  readonly machineStore: {
    readonly entries: number;
    readonly execSeconds: number;
    readonly baselineSeconds: number | null;
    readonly reconcileSeconds: number | null;
  };
}

/** A `watch` fed round after round. */
export interface LongSessionResult {
  readonly rounds: number;
  readonly pathsPerRound: number;
  readonly seconds: number;
  readonly pushed: number;
  readonly lost: number;
  /** Resident memory after each round. */
  readonly rssAfterRound: readonly number[];
  readonly peakRssBytes: number | null;
  /** Least-squares growth of resident memory per pushed path, after the first round. */
  readonly bytesPerPath: number;
  readonly omittedPaths: number;
}

/** One fault and how the helper came through it. */
export interface FaultResult {
  readonly fault: string;
  readonly expected: string;
  readonly buildStatus: { readonly expected: number; readonly actual: number };
  readonly built: number;
  /** Valid outputs not in the cache after the recovery step (null where the run is uncached by design). */
  readonly lost: number | null;
  readonly note: string;
  readonly problem: string | null;
}

/** The bad-input sweep. */
export interface InputsResult {
  readonly handWritten: number;
  readonly random: number;
  readonly seed: number;
  readonly refused: number;
  readonly accepted: number;
  readonly stackTraces: number;
  readonly problems: readonly string[];
}

/** Everything one stress run measured. */
export interface StressResults {
  readonly startedAt: string;
  readonly seconds: number;
  readonly quick: boolean;
  readonly load?: LoadResult;
  readonly memory?: readonly MemoryPoint[];
  readonly scale?: ScaleResult;
  readonly long?: LongSessionResult;
  readonly faults?: readonly FaultResult[];
  readonly inputs?: InputsResult;
}

/** Resident memory counts as flat when the spread stays within this. */
export const FLAT_BYTES = 10 * 2 ** 20;

/** The checks a run's results must pass (the stress task fails on none of the timings). */
export function checks(results: StressResults): Check[] {
  const list: Check[] = [];
  const lost = (what: string, n: number | null) =>
    list.push({ what, problem: n !== null && n > 0 ? `${n} path(s) lost` : null });
  if (results.load) {
    const l = results.load;
    lost(`load: ${l.derivations} derivations — nothing lost`, l.lost);
    list.push({
      what: "load: the build's status is kept",
      problem: l.buildStatus === 0 ? null : `exit ${l.buildStatus}`,
    });
    list.push({
      what: "load: batches within their bound",
      problem: l.maxBatch <= l.batchBound ? null : `a batch of ${l.maxBatch} > ${l.batchBound}`,
    });
  }
  for (const point of results.memory ?? []) {
    lost(`memory: ${point.paths} paths (${point.store} store) — nothing lost`, point.lost);
  }
  if (results.long) lost("long session — nothing lost", results.long.lost);
  for (const fault of results.faults ?? []) {
    lost(`fault: ${fault.fault} — nothing lost`, fault.lost);
    list.push({ what: `fault: ${fault.fault} — survived as expected`, problem: fault.problem });
  }
  if (results.inputs) {
    const i = results.inputs;
    list.push({
      what: "bad input: exit 2 and one line naming it, never a stack trace",
      problem: i.problems.length === 0 ? null : `${i.problems.length} broke it: ${i.problems[0]}`,
    });
  }
  return list;
}

/** Spread (max − min) of the peak resident memory of a series; null with fewer than two. */
export function spread(points: readonly { peakRssBytes: number | null }[]): number | null {
  const values = points.map((p) => p.peakRssBytes).filter((v): v is number => v !== null);
  if (values.length < 2) return null;
  return Math.max(...values) - Math.min(...values);
}

/**
 * The spread of peak resident memory within each store of a memory series:
 * the baseline of the store costs memory by its size, so points are compared
 * only with points in the same store.
 */
export function spreadByStore(
  points: readonly MemoryPoint[],
): { store: MemoryPoint["store"]; paths: number[]; spread: number | null }[] {
  const stores = [...new Set(points.map((p) => p.store))];
  return stores.map((store) => {
    const same = points.filter((p) => p.store === store);
    return { store, paths: same.map((p) => p.paths), spread: spread(same) };
  });
}

/** Least-squares slope of `ys` over `xs` (0 with fewer than two points). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
