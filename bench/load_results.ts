/**
 * Results read back from a JSON file (docs/benchmarks.json), their summaries
 * recomputed from the runs, as `deno task bench --render FILE` does: what
 * the docs checks compare the README's figures with.
 *
 * @module
 */

import type { BenchResults } from "./results.ts";
import { summarizeScenario } from "./summary.ts";

/**
 * Parses results written by the benchmark; throws an `Error` naming `name`
 * when the text is not of schema `attic-ci/benchmarks@1`.
 *
 * @example
 * ```ts
 * const results = parseResults(await Deno.readTextFile("docs/benchmarks.json"));
 * ```
 */
export function parseResults(text: string, name = "the results"): BenchResults {
  const results = JSON.parse(text) as BenchResults;
  if (results.schema !== "attic-ci/benchmarks@1") {
    throw new Error(`Cannot read ${name} as its schema is not attic-ci/benchmarks@1`);
  }
  return {
    ...results,
    scenarios: results.scenarios.map(({ result }) => ({
      result,
      summary: summarizeScenario(result),
    })),
  };
}
