/**
 * The benchmark's options: the scenarios to run (graph shape, network, rounds)
 * and where things are. Two presets, `quick` (under ~3 minutes on 2 cores)
 * and `full` (the run documented in docs/benchmarks.md), and a pure parser for
 * the command line that can override any parameter.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { CacheKind } from "./cache_target.ts";
import { DEFAULT_SHAPE, type GraphShape } from "./graph.ts";
import { MODELLED_NETWORK, type NetworkModel, NO_NETWORK } from "./network.ts";
import { parseStrategyList, STRATEGY_IDS, type StrategyId } from "./strategies.ts";

/** One set of runs on one graph shape and network. */
export interface Scenario {
  /** Short identifier, e.g. "n500-modelled" or "n500-fail". */
  readonly id: string;
  readonly shape: GraphShape;
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
  readonly cacheKind: CacheKind;
  /** Nix's `--max-jobs`. @default 2 (the machine's cores) */
  readonly maxJobs: number;
  /** Parent of the per-run directories (deleted after each run unless `keep`). */
  readonly workDir: string;
  /** Keep each run's directory (graph, logs, cache) for post-mortems. */
  readonly keep: boolean;
  /** Write docs/benchmarks.{md,json,svg}. */
  readonly writeDocs: boolean;
  /** Also write the results JSON here (any preset). */
  readonly jsonOut: string | null;
  /** Do not run: re-render the tables (and docs) from this results JSON. */
  readonly renderFrom: string | null;
  /** Reuse the scenarios already measured in this results JSON (same parameters). */
  readonly resumeFrom: string | null;
  /** The repository root (for src/main.ts, tests/attic_double and docs/). */
  readonly repoRoot: string;
  /** The attic CLI test double. */
  readonly atticDouble: string;
  /** Kill a single run after this many seconds. */
  readonly runTimeoutSeconds: number;
  /** Print progress lines. */
  readonly verbose: boolean;
}

/** The scenarios of a preset. */
export function presetScenarios(preset: "quick" | "full"): Scenario[] {
  const all = STRATEGY_IDS;
  const sized = (nodes: number): GraphShape => ({
    ...DEFAULT_SHAPE,
    nodes,
    layers: defaultLayers(nodes),
  });
  const m = MODELLED_NETWORK;
  if (preset === "quick") {
    return [
      {
        id: "n32-modelled",
        shape: sized(32),
        network: m,
        rounds: 3,
        failing: false,
        strategies: all,
      },
      {
        id: "n32-fail",
        shape: sized(32),
        network: m,
        rounds: 1,
        failing: true,
        strategies: ["b", "c", "d", "e"],
      },
    ];
  }
  // The documented run: it must fit in one working session on 2 cores (about
  // 20 minutes). The post-build-hook alone needs ~13 minutes per 2,000-node
  // run here, so larger graphs are left to `--nodes 2000`.
  return [
    {
      id: "n100-modelled",
      shape: sized(100),
      network: m,
      rounds: 3,
      failing: false,
      strategies: all,
    },
    {
      id: "n500-modelled",
      shape: sized(500),
      network: m,
      rounds: 1,
      failing: false,
      strategies: all,
    },
    {
      id: "n100-none",
      shape: sized(100),
      network: NO_NETWORK,
      rounds: 3,
      failing: false,
      strategies: all,
    },
    { id: "n100-fail", shape: sized(100), network: m, rounds: 2, failing: true, strategies: all },
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
  (d) attic-ci exec (defaults)  (e) attic-ci exec, 2 s idle / 10 s max batching

Presets:
  --quick               32 derivations, 3 rounds + 1 failing round (< ~3 min)
  --full                100 and 500 derivations, no-network and failing
                        scenarios (about 20 min on 2 cores); writes
                        docs/benchmarks.{md,json,svg} (default)

Overrides (applied to every scenario of the preset):
  --nodes N[,N...]      graph sizes (one scenario per size)
  --layers N            layers per graph (default: about sqrt(nodes))
  --build-ms MS         mean build time per derivation
  --output-kib KIB      mean output size per derivation
  --rounds N            rounds per scenario
  --latency-ms MS       modelled latency per push invocation
  --bandwidth-mibps X   modelled bandwidth (0 = unlimited)
  --network KIND        modelled | none
  --no-fail             skip the failing-build scenarios
  --strategies LIST     e.g. a,b,d
  --cache KIND          attic (the attic double, default) | file (nix copy)
  --max-jobs N          nix --max-jobs (default 2)

Output:
  --docs / --no-docs    write docs/benchmarks.* (default: only with --full)
  --json FILE           also write the results as JSON to FILE (rewritten
                        after every scenario, as a checkpoint)
  --resume FILE         take scenarios already in FILE (same parameters)
                        instead of running them again
  --render FILE         run nothing: print (and with --docs, write) the
                        results of an earlier --json FILE again
  --keep                keep every run's directory under --work-dir
  --work-dir DIR        where runs happen (default: a new temp dir)
  --quiet               no progress lines
`;

/** The result of parsing the command line: options, or help. */
export type ParsedArgs = { help: true } | { help: false; options: BenchOptions };

/**
 * Parse the benchmark's command line.
 *
 * @example
 * ```ts
 * const parsed = parseBenchArgs(["--quick"], { repoRoot: "/work/main", tmpDir: "/tmp" });
 * ```
 */
export function parseBenchArgs(
  argv: readonly string[],
  context: { repoRoot: string; tmpDir: string },
): ParsedArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h" },
      quick: { type: "boolean" },
      full: { type: "boolean" },
      nodes: { type: "string" },
      layers: { type: "string" },
      "build-ms": { type: "string" },
      "output-kib": { type: "string" },
      rounds: { type: "string" },
      "latency-ms": { type: "string" },
      "bandwidth-mibps": { type: "string" },
      network: { type: "string" },
      "no-fail": { type: "boolean" },
      strategies: { type: "string" },
      cache: { type: "string" },
      "max-jobs": { type: "string" },
      docs: { type: "boolean" },
      "no-docs": { type: "boolean" },
      json: { type: "string" },
      render: { type: "string" },
      resume: { type: "string" },
      keep: { type: "boolean" },
      "work-dir": { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  if (values.help) return { help: true };
  if (values.quick && values.full) throw new RangeError("Cannot use --quick and --full together");
  const base = values.quick ? "quick" : "full";
  let scenarios = presetScenarios(base);
  let changed = false;
  const change = (f: (s: Scenario) => Scenario) => {
    scenarios = scenarios.map(f);
    changed = true;
  };

  if (values.nodes !== undefined) {
    const sizes = values.nodes.split(",").map((n) => positiveInt("--nodes", n));
    const templates = new Map<string, Scenario>();
    for (const s of scenarios) {
      const key = `${s.network.name}-${s.failing}`;
      if (!templates.has(key)) templates.set(key, s);
    }
    scenarios = [...templates.values()].flatMap((t) =>
      sizes.map((nodes) => ({
        ...t,
        id: `n${nodes}-${t.failing ? "fail" : t.network.name}`,
        shape: {
          ...t.shape,
          nodes,
          layers: Math.min(nodes, Math.max(5, Math.round(Math.sqrt(nodes)))),
        },
      }))
    );
    changed = true;
  }
  const layers = values.layers;
  if (layers !== undefined) {
    change((s) => ({ ...s, shape: { ...s.shape, layers: positiveInt("--layers", layers) } }));
  }
  const buildMs = values["build-ms"];
  if (buildMs !== undefined) {
    change((s) => ({ ...s, shape: { ...s.shape, buildMs: nonNegative("--build-ms", buildMs) } }));
  }
  const outputKib = values["output-kib"];
  if (outputKib !== undefined) {
    change((s) => ({
      ...s,
      shape: { ...s.shape, outputBytes: positiveInt("--output-kib", outputKib) * 1024 },
    }));
  }
  const rounds = values.rounds;
  if (rounds !== undefined) change((s) => ({ ...s, rounds: positiveInt("--rounds", rounds) }));
  const latency = values["latency-ms"];
  if (latency !== undefined) {
    change((s) =>
      s.network.name === "none" ? s : {
        ...s,
        network: { ...s.network, latencyMs: nonNegative("--latency-ms", latency) },
      }
    );
  }
  const bandwidth = values["bandwidth-mibps"];
  if (bandwidth !== undefined) {
    const mibps = nonNegative("--bandwidth-mibps", bandwidth);
    change((s) =>
      s.network.name === "none" ? s : {
        ...s,
        network: {
          ...s.network,
          bandwidthBps: mibps === 0 ? null : Math.round(mibps * 1024 * 1024),
        },
      }
    );
  }
  const network = values.network;
  if (network !== undefined) {
    if (network !== "modelled" && network !== "none") {
      throw new RangeError(`Cannot use --network ${network}: choose modelled or none`);
    }
    const model = network === "none" ? NO_NETWORK : MODELLED_NETWORK;
    const byId = new Map<string, Scenario>();
    for (const s of scenarios) {
      const id = s.id.replace(/-(modelled|none)$/, `-${network}`);
      if (!byId.has(id)) byId.set(id, { ...s, id, network: model });
    }
    scenarios = [...byId.values()];
    changed = true;
  }
  if (values["no-fail"]) {
    scenarios = scenarios.filter((s) => !s.failing);
    changed = true;
  }
  const strategies = values.strategies;
  if (strategies !== undefined) {
    const ids = parseStrategyList(strategies);
    change((s) => ({ ...s, strategies: ids }));
  }
  const cache = values.cache ?? "attic";
  if (cache !== "attic" && cache !== "file") {
    throw new RangeError(`Cannot use --cache ${cache}: choose attic or file`);
  }
  if (cache === "file") {
    change((s) => ({ ...s, network: NO_NETWORK, id: s.id.replace(/-modelled$/, "-none") }));
  }
  const preset = changed ? "custom" : base;
  const writeDocs = values["no-docs"]
    ? false
    : values.docs ?? (preset === "full" && values.render === undefined);
  return {
    help: false,
    options: {
      preset,
      scenarios,
      cacheKind: cache,
      maxJobs: values["max-jobs"] === undefined ? 2 : positiveInt("--max-jobs", values["max-jobs"]),
      workDir: values["work-dir"] ?? `${context.tmpDir}/attic-ci-bench-${Date.now()}`,
      keep: values.keep ?? false,
      writeDocs,
      jsonOut: values.json ?? null,
      renderFrom: values.render ?? null,
      resumeFrom: values.resume ?? null,
      repoRoot: context.repoRoot,
      atticDouble: `${context.repoRoot}/tests/attic_double/attic`,
      runTimeoutSeconds: 3600,
      verbose: !values.quiet,
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

function nonNegative(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot use ${option} ${text}: expected a number >= 0`);
  }
  return value;
}
