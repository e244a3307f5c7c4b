/** What decides the stress task's exit code, and the arithmetic of its figures. */

import { renderReliability, totalLost } from "../../stress/render.ts";
import {
  checks,
  type FaultResult,
  type MemoryPoint,
  slope,
  spread,
  spreadByStore,
  type StressResults,
} from "../../stress/results.ts";
import type { MachineInfo } from "../../bench/machine.ts";
import { assertEquals, assertIncludes } from "../helpers/assert.ts";

const point = (paths: number, store: "real" | "scratch", mib: number, lost = 0): MemoryPoint => ({
  paths,
  store,
  pushed: paths - lost,
  lost,
  peakRssBytes: mib * 2 ** 20,
  seconds: 1,
  baselineSeconds: 0.1,
  reconcileSeconds: 0.1,
  rescans: 0,
});

const fault = (problem: string | null, lost: number | null): FaultResult => ({
  fault: "the cache is down",
  expected: "all pushed later",
  buildStatus: { expected: 0, actual: 0 },
  built: 10,
  lost,
  note: "",
  problem,
});

const base: StressResults = { startedAt: "2026-11-23T00:00:00Z", seconds: 1, quick: false };

Deno.test("a lost path or a broken contract fails a check; timings never do", () => {
  const good = { ...base, memory: [point(100, "real", 70), point(2000, "real", 300)] };
  assertEquals(checks(good).filter((c) => c.problem !== null), []);
  const lost = { ...base, memory: [point(100, "scratch", 70, 2)] };
  assertEquals(checks(lost).map((c) => c.problem), ["2 path(s) lost"]);
  const broken = { ...base, faults: [fault("exit 1", 0)] };
  assertEquals(checks(broken).map((c) => c.problem), [null, "exit 1"]);
});

Deno.test("a fault that is uncached by design (lost: null) counts no loss", () => {
  const results = { ...base, faults: [fault(null, null), fault(null, 3)] };
  assertEquals(totalLost(results), 3);
});

Deno.test("memory is compared within one store: the baseline's cost follows the store's size", () => {
  const points = [point(100, "real", 100), point(2000, "real", 104), point(100, "scratch", 80)];
  assertEquals(spread(points), 24 * 2 ** 20);
  assertEquals(spreadByStore(points), [
    { store: "real", paths: [100, 2000], spread: 4 * 2 ** 20 },
    { store: "scratch", paths: [100], spread: null },
  ]);
});

Deno.test("slope is the least-squares growth per unit", () => {
  assertEquals(slope([1, 2, 3], [10, 12, 14]), 2);
  assertEquals(slope([1], [10]), 0);
  assertEquals(slope([2, 2], [1, 5]), 0);
});

Deno.test("the document shows each scenario's figures and every check", () => {
  const machine: MachineInfo = {
    cpu: "cpu",
    cores: 2,
    memoryGiB: 4,
    os: "os",
    kernel: "k",
    deno: "2",
    nix: "nix",
    atticCi: "0.1.0",
    atticCiSources: "abc",
    atticDoubleSources: "def",
  };
  const results = { ...base, memory: [point(100, "scratch", 70), point(10_000, "scratch", 95)] };
  const text = renderReliability(results, machine, checks(results));
  assertIncludes(text, "## Memory per size");
  assertIncludes(text, "**not flat** — the peaks differ by 25.0 MiB");
  assertIncludes(text, "| memory: 10000 paths (scratch store) — nothing lost | held |");
  assertIncludes(text, "All 2 checks held");
});
