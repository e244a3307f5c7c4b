/**
 * The benchmark's results as one JSON-ready value (docs/benchmarks.json), and
 * the headline sentence drawn from it.
 *
 * @module
 */

import type { MachineInfo } from "./machine.ts";
import { describeNetwork } from "./network.ts";
import type { ScenarioSummary, StrategySummary } from "./summary.ts";
import type { ScenarioResult } from "./suite.ts";

/** Everything one benchmark invocation produced. */
export interface BenchResults {
  readonly schema: "attic-ci/benchmarks@1";
  readonly preset: string;
  /** ISO time the run started (of the first part, when resumed). */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly machine: MachineInfo;
  /**
   * Where the runs pushed: attic, through its stand-ins (tests/attic_double for
   * the CLI, tests/attic_server for the built-in client).
   */
  readonly cacheKind: "attic";
  readonly maxJobs: number;
  readonly scenarios: readonly ScenarioEntry[];
}

/** One scenario's runs and their summary. */
export interface ScenarioEntry {
  readonly result: ScenarioResult;
  readonly summary: ScenarioSummary;
}

/**
 * A human title for a scenario, e.g. "500 derivations, 150 ms per push + 4.0 MiB/s"
 * or "100 derivations that compute, 100 ms per push + 4.0 MiB/s".
 */
export function scenarioTitle(result: ScenarioResult): string {
  const s = result.scenario;
  const failing = s.failing ? ", build fails halfway" : "";
  const computing = s.builders === "cpu" ? " that compute" : "";
  return `${s.shape.nodes} derivations${computing}, ${describeNetwork(s.network)}${failing}`;
}

/**
 * One sentence for the README, from the largest successful scenario with a
 * modelled network and sleeping builders, the first one whose builders
 * compute, and the first failing one.
 */
export function headline(results: BenchResults): string {
  const timing = results.scenarios.filter((s) =>
    !s.summary.failing && s.result.scenario.builders !== "cpu"
  );
  const modelled = timing.filter((s) => s.result.scenario.network.name !== "none");
  const main = [...(modelled.length > 0 ? modelled : timing)]
    .sort((a, b) => b.result.scenario.shape.nodes - a.result.scenario.shape.nodes)[0];
  const failing = results.scenarios.find((s) => s.summary.failing);
  const parts: string[] = [];
  if (main !== undefined) {
    const get = (id: string) => main.summary.strategies.find((s) => s.strategy === id);
    const primary = get("f") ?? get("d");
    if (primary?.cachedRatio != null) {
      const others = [
        ["b", "with a push at the end"],
        ["c", "with Nix's post-build-hook"],
        ...(primary.strategy === "f" ? [["d", "through the attic CLI"]] : []),
      ].map(([id, how]) => ({ s: get(id!), how }))
        .filter(({ s }) => s?.cachedRatio != null)
        .map(({ s, how }) => `${s!.cachedRatio!.toFixed(2)}× ${how}`);
      const h = get("h");
      const pull = h?.overheadPercent != null && primary.strategy === "f"
        ? ` (its Nix reading the cache, as any cache's reader does, accounts for ${
          signed(h.overheadPercent)
        } of that)`
        : "";
      parts.push(
        `On a ${main.result.scenario.shape.nodes}-derivation build ${
          main.result.scenario.network.name === "none"
            ? "without a network model"
            : "with a modelled network"
        }, attic-ci with its defaults had everything cached ${
          primary.cachedRatio.toFixed(2)
        }× the time of the build alone` +
          (others.length > 0 ? ` (${others.join(", ")})` : "") +
          `, ${overhead(primary)}${pull}`,
      );
    }
  }
  const computing =
    [...results.scenarios].filter((s) => !s.summary.failing && s.result.scenario.builders === "cpu")
      .sort((x, y) => y.result.scenario.shape.nodes - x.result.scenario.shape.nodes)[0];
  if (computing !== undefined) {
    const get = (id: string) => computing.summary.strategies.find((s) => s.strategy === id);
    const clients = [["f", "with the defaults"], ["d", "through the attic CLI"], [
      "b",
      "with a push at the end",
    ]]
      .map(([id, how]) => ({ s: get(id!), how }))
      .filter(({ s }) => s?.overheadPercent != null && s.cachedRatio != null)
      .map(({ s, how }) =>
        `${signed(s!.overheadPercent!)} ${how} (everything cached at ${
          s!.cachedRatio!.toFixed(2)
        }×)`
      );
    if (clients.length > 0) {
      parts.push(
        `when the ${
          computing.result.scenario.shape.nodes.toLocaleString("en-US")
        } derivations computed instead of sleeping, ` +
          `the build took ${clients.join(", ")}`,
      );
    }
  }
  if (failing !== undefined) {
    const get = (id: string) => failing.summary.strategies.find((s) => s.strategy === id);
    const d = get("f") ?? get("d");
    const b = get("b");
    if (d?.cachedFraction) {
      parts.push(
        `when the build failed halfway it had cached ${
          (d.cachedFraction.median * 100).toFixed(0)
        } % ` +
          `of the finished derivations` +
          (b?.cachedFraction
            ? ` (push at the end: ${(b.cachedFraction.median * 100).toFixed(0)} %)`
            : ""),
      );
    }
  }
  return parts.length === 0 ? "No results." : `${parts.join("; ")}.`;
}

function signed(percent: number): string {
  return `${percent >= 0 ? "+" : ""}${percent.toFixed(1)} %`;
}

function overhead(s: StrategySummary): string {
  if (s.overheadPercent === null) return "with an unknown effect on the build itself";
  const value = s.overheadPercent;
  return value > 0
    ? `slowing the build itself by ${value.toFixed(1)} %`
    : `with no measurable slowdown of the build itself (${value.toFixed(1)} %)`;
}
