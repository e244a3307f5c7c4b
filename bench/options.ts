/**
 * The benchmark's options: the scenarios to run (graph shape, builders,
 * network, rounds) and what to write. Two presets, `quick` (about 4 minutes
 * on 2 cores) and `full` (the run documented in docs/benchmarks.md, the
 * default), and a pure parser for the few overrides people use.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_SHAPE, type GraphShape } from "./graph.ts";
import { MODELLED_NETWORK, type NetworkModel, NO_NETWORK } from "./network.ts";
import { parseStrategyList, STRATEGY_IDS, type StrategyId } from "./strategies.ts";

/**
 * What the graph's builders do for their build time: sleep (the CPUs stay
 * free for pushing), or compute (a fixed amount of work that takes longer
 * when pushing wants the same cores, as a compiler would).
 */
export type Builders = "sleep" | "cpu";

/** One set of runs on one graph shape, kind of builder and network. */
export interface Scenario {
  /** Short identifier, e.g. "n500-modelled", "n100-modelled-cpu" or "n500-fail". */
  readonly id: string;
  readonly shape: GraphShape;
  /** Absent in results written before builders could compute: "sleep". */
  readonly builders?: Builders;
  readonly network: NetworkModel;
  /** Rounds; each round runs every strategy once, in rotating order. */
  readonly rounds: number;
  /** Whether the graph fails halfway (resumability scenario). */
  readonly failing: boolean;
  readonly strategies: readonly StrategyId[];
}

/** Everything the benchmark needs to run. */
export interface BenchOptions {
  /** "quick", "full" or "custom" (a preset changed by flags). */
  readonly preset: string;
  readonly scenarios: readonly Scenario[];
  /** Update docs/benchmarks.{md,svg} (and, after a run, docs/benchmarks.json). */
  readonly writeDocs: boolean;
  /** Also write the results as JSON here. */
  readonly jsonOut: string | null;
  /** Do not run: print (and with `writeDocs`, document) this results JSON again. */
  readonly renderFrom: string | null;
}

/** Nix's `--max-jobs` for every build: the machine's 2 cores. */
export const MAX_JOBS = 2;

/**
 * A scenario's identifier: size, then "fail" for a failing build or the
 * network's name, then "-cpu" when the builders compute.
 *
 * @example
 * ```ts
 * scenarioId(100, MODELLED_NETWORK, false, "cpu"); // "n100-modelled-cpu"
 * ```
 */
export function scenarioId(
  nodes: number,
  network: NetworkModel,
  failing: boolean,
  builders: Builders = "sleep",
): string {
  return `n${nodes}-${failing ? "fail" : network.name}${builders === "cpu" ? "-cpu" : ""}`;
}

/** The scenarios of a preset. */
export function presetScenarios(preset: "quick" | "full"): Scenario[] {
  const sized = (nodes: number): GraphShape => ({
    ...DEFAULT_SHAPE,
    nodes,
    layers: defaultLayers(nodes),
  });
  const scenario = (
    nodes: number,
    network: NetworkModel,
    rounds: number,
    options: {
      failing?: boolean;
      builders?: Builders;
      strategies?: readonly StrategyId[];
    } = {},
  ): Scenario => ({
    id: scenarioId(nodes, network, options.failing ?? false, options.builders),
    shape: sized(nodes),
    builders: options.builders ?? "sleep",
    network,
    rounds,
    failing: options.failing ?? false,
    strategies: options.strategies ?? STRATEGY_IDS,
  });
  if (preset === "quick") {
    return [
      scenario(32, MODELLED_NETWORK, 3, { strategies: ["a", "b", "c", "d", "e", "f", "h"] }),
      scenario(32, MODELLED_NETWORK, 1, {
        builders: "cpu",
        strategies: ["a", "b", "d", "f", "g", "h"],
      }),
      scenario(32, MODELLED_NETWORK, 1, { failing: true, strategies: ["b", "c", "d", "e", "f"] }),
    ];
  }
  // The documented run: it must fit in one working session on 2 cores (about
  // 45 minutes). The post-build-hook alone needs ~13 minutes per 2,000-node
  // run here, so the largest graph (1,000 computing derivations, how the cost
  // grows with the graph) runs the baselines and the two clients only.
  return [
    scenario(100, MODELLED_NETWORK, 3),
    scenario(100, MODELLED_NETWORK, 3, { builders: "cpu" }),
    scenario(500, MODELLED_NETWORK, 1),
    scenario(1000, MODELLED_NETWORK, 1, {
      builders: "cpu",
      strategies: ["a", "b", "d", "f", "h"],
    }),
    scenario(100, NO_NETWORK, 3),
    scenario(100, MODELLED_NETWORK, 2, { failing: true }),
  ];
}

/** Layers for a graph size: about √nodes, at least 5 (and at most nodes). */
export function defaultLayers(nodes: number): number {
  return Math.min(nodes, Math.max(5, Math.round(Math.sqrt(nodes))));
}

/** Help text for `deno task bench --help`. */
export const HELP = `Usage: deno task bench [--quick | --full] [options]

Runs every strategy on fresh instances of the same derivation graph, in
alternating rounds, and prints medians and ratios to the build alone:
  (a) build only  (b) push at end  (c) post-build-hook
  (d) attic-ci exec --attic-client cli  (e) (d) with 2 s idle / 10 s max batching
  (f) attic-ci exec with its defaults (no attic on PATH: the built-in client,
      against the Attic test server; a to e push through the attic CLI double)
  (g) (f) with --attribution all: every path, not only this job's
  (h) build only, its Nix reading (f)'s cache (what pulling costs a build)

Presets:
  --quick             32 derivations: 3 rounds, 1 round with computing
                      builders (a,b,d,f,g,h), 1 failing round (about 4 min)
  --full              100 and 500 derivations, 100 and 1,000 computing
                      ones, no-network and failing scenarios (about 45 min
                      on 2 cores); updates docs/benchmarks.{md,json,svg}
                      (the default)

Overrides (make a "custom" run, which leaves the docs alone):
  --nodes N[,N...]    graph sizes (one scenario per size)
  --rounds N          rounds per scenario
  --strategies LIST   e.g. a,b,d

Output:
  --json FILE         also write the results as JSON to FILE
  --render FILE       run nothing: print the results of FILE (e.g.
                      docs/benchmarks.json) again
  --docs              with --render: also update docs/benchmarks.{md,svg}
                      (the tables and headline between the bench: markers)
`;

/** The result of parsing the command line: options, or help. */
export type ParsedArgs = { help: true } | { help: false; options: BenchOptions };

/**
 * Parse the benchmark's command line.
 *
 * @example
 * ```ts
 * const parsed = parseBenchArgs(["--quick"]);
 * ```
 */
export function parseBenchArgs(argv: readonly string[]): ParsedArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h" },
      quick: { type: "boolean" },
      full: { type: "boolean" },
      nodes: { type: "string" },
      rounds: { type: "string" },
      strategies: { type: "string" },
      json: { type: "string" },
      render: { type: "string" },
      docs: { type: "boolean" },
    },
  });
  if (values.help) return { help: true };
  if (values.quick && values.full) throw new RangeError("Cannot use --quick and --full together");
  const base = values.quick ? "quick" : "full";
  let scenarios = presetScenarios(base);
  let changed = false;

  if (values.nodes !== undefined) {
    const sizes = values.nodes.split(",").map((n) => positiveInt("--nodes", n));
    // One scenario per size for each kind of scenario of the preset.
    const kinds = new Map(
      scenarios.map((s) => [`${s.network.name}-${s.failing}-${s.builders ?? "sleep"}`, s]),
    );
    scenarios = [...kinds.values()].flatMap((s) =>
      sizes.map((nodes) => ({
        ...s,
        id: scenarioId(nodes, s.network, s.failing, s.builders),
        shape: { ...s.shape, nodes, layers: defaultLayers(nodes) },
      }))
    );
    changed = true;
  }
  const rounds = values.rounds;
  if (rounds !== undefined) {
    scenarios = scenarios.map((s) => ({ ...s, rounds: positiveInt("--rounds", rounds) }));
    changed = true;
  }
  const strategies = values.strategies;
  if (strategies !== undefined) {
    const ids = parseStrategyList(strategies);
    scenarios = scenarios.map((s) => ({ ...s, strategies: ids }));
    changed = true;
  }
  const preset = changed ? "custom" : base;
  const renderFrom = values.render ?? null;
  if (values.docs && renderFrom === null) {
    throw new RangeError(
      "Cannot use --docs without --render: a --full run updates the docs itself",
    );
  }
  return {
    help: false,
    options: {
      preset,
      scenarios,
      writeDocs: renderFrom === null ? preset === "full" : values.docs === true,
      jsonOut: values.json ?? null,
      renderFrom,
    },
  };
}

function positiveInt(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot use ${option} ${text}: expected a positive integer`);
  }
  return value;
}
