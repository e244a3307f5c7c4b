import { match } from "node:assert/strict";
import { DEFAULT_SHAPE } from "./graph.ts";
import { MODELLED_NETWORK, NO_NETWORK } from "./network.ts";
import { type BenchResults, headline } from "./results.ts";
import { summary } from "./testdata.ts";
import type { ScenarioResult } from "./suite.ts";

function results(network: typeof MODELLED_NETWORK): BenchResults {
  const result: ScenarioResult = {
    scenario: {
      id: "n10",
      shape: { ...DEFAULT_SHAPE, nodes: 10 },
      network,
      rounds: 3,
      failing: false,
      strategies: ["a", "b", "d"],
    },
    plan: { nodes: 10, totalBuildSeconds: 2, totalOutputMiB: 1, criticalPathSeconds: 1 },
    runs: [],
  };
  return {
    schema: "attic-ci/benchmarks@1",
    preset: "custom",
    startedAt: "2026-01-01T00:00:00Z",
    endedAt: "2026-01-01T00:01:00Z",
    machine: {
      cpu: "cpu",
      cores: 2,
      memoryGiB: 1,
      os: "os",
      kernel: "k",
      deno: "d",
      nix: "n",
      atticCi: "0",
      atticCiSources: "x",
      atticDoubleSources: "y",
    },
    cacheKind: "attic",
    maxJobs: 2,
    scenarios: [{ result, summary }],
  };
}

Deno.test("headline() compares attic-ci's time to cached with the baselines", () => {
  const text = headline(results(MODELLED_NETWORK));
  match(
    text,
    /^On a 10-derivation build with a modelled network, attic-ci had everything cached 1\.10×/,
  );
  match(text, /1\.80× with a push at the end/);
  match(text, /slowing the build itself by 5\.0 %/);
});

Deno.test("headline() says when there was no network model", () => {
  match(headline(results(NO_NETWORK)), /build without a network model/);
});
