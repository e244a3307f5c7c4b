/**
 * The stress task's command line: which scenarios, how big, where the
 * document goes.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The scenarios, in the order they run. */
export const SCENARIOS = ["inputs", "load", "scale", "memory", "long", "faults"] as const;

/** One scenario's name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** How big each scenario is. */
export interface StressSizes {
  /** The load burst: width × depth derivations (+1 root). */
  readonly load: { readonly width: number; readonly depth: number; readonly maxJobs: number };
  /** Real derivations for the small end of the memory series (width × depth, +1). */
  readonly smallLoad: { readonly width: number; readonly depth: number; readonly maxJobs: number };
  /** Entries the scratch store is filled to before the memory and long-session runs. */
  readonly storeEntries: number;
  /** Paths added per memory point in the scratch store. */
  readonly memory: readonly number[];
  readonly long: { readonly rounds: number; readonly pathsPerRound: number };
  readonly faultBuild: { readonly width: number; readonly depth: number; readonly sleep: string };
  readonly randomInputs: number;
  readonly seed: number;
}

/** The full run (CI's, and the one docs/reliability.md shows). */
export const FULL: StressSizes = {
  load: { width: 100, depth: 20, maxJobs: 8 },
  smallLoad: { width: 10, depth: 10, maxJobs: 8 },
  storeEntries: 50_000,
  memory: [100, 2_000, 10_000],
  long: { rounds: 20, pathsPerRound: 1_000 },
  faultBuild: { width: 10, depth: 6, sleep: "0.1" },
  randomInputs: 300,
  seed: 20261123,
};

/** A few minutes' smoke run while working on the stress task itself. */
export const QUICK: StressSizes = {
  load: { width: 20, depth: 10, maxJobs: 8 },
  smallLoad: { width: 10, depth: 10, maxJobs: 8 },
  storeEntries: 5_000,
  memory: [100, 500, 2_000],
  long: { rounds: 4, pathsPerRound: 250 },
  faultBuild: { width: 6, depth: 4, sleep: "0.1" },
  randomInputs: 40,
  seed: 20261123,
};

/** Parsed options. */
export interface StressOptions {
  readonly quick: boolean;
  readonly sizes: StressSizes;
  readonly only: readonly ScenarioName[];
  /** The Markdown document to write; null: print the figures only. */
  readonly out: string | null;
  /** The raw results as JSON, when asked. */
  readonly json: string | null;
}

/** `--help`. */
export const HELP = `Usage: deno task stress [--quick] [--only LIST] [--out FILE] [--json FILE]

Load, store scale, memory, a long session, faults and bad input, against the
real helper, real Nix and a real file:// cache; writes docs/reliability.md.
Exits 1 when a path was lost or a contract broke; never because of a timing.

  --quick        small sizes, a few minutes; writes no document unless --out
  --only LIST    comma-separated scenarios: ${SCENARIOS.join(", ")}
  --out FILE     the document (default: docs/reliability.md for a full run)
  --json FILE    also write the raw results as JSON
  -h, --help     this text`;

/** The result of parsing: options, or a request for help. */
export type ParsedStressArgs = { help: true } | { help: false; options: StressOptions };

/** Parses the command line; throws a one-line Error naming the bad option. */
export function parseStressArgs(argv: readonly string[]): ParsedStressArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  if (values.help) return { help: true };
  if (positionals.length > 0) throw new Error(`unexpected argument ${positionals[0]}; see --help`);
  const only = values.only === undefined ? [...SCENARIOS] : values.only.split(",").map((name) => {
    const trimmed = name.trim();
    if (!(SCENARIOS as readonly string[]).includes(trimmed)) {
      throw new Error(`--only: no scenario "${trimmed}"; choose from ${SCENARIOS.join(", ")}`);
    }
    return trimmed as ScenarioName;
  });
  const partial = only.length < SCENARIOS.length;
  return {
    help: false,
    options: {
      quick: values.quick,
      sizes: values.quick ? QUICK : FULL,
      only,
      // A quick or partial run must not overwrite the document of a full one.
      out: values.out ?? (values.quick || partial ? null : "docs/reliability.md"),
      json: values.json ?? null,
    },
  };
}
