import { assert, assertIncludes } from "../helpers/assert.ts";
import { renderChart } from "../../bench/render_chart.ts";
import { results, summary } from "./testdata.ts";

Deno.test("renderChart() draws an SVG with a panel per scenario and every strategy's name", async () => {
  const svg = await renderChart(results(undefined, { failing: true }));
  assert(svg.startsWith("<svg "), svg.slice(0, 100));
  assert(svg.trimEnd().endsWith("</svg>"));
  for (const name of ["(a) build only", "(b) push at end", "(d) attic-ci"]) {
    assertIncludes(svg, name);
  }
  assertIncludes(svg, "10 derivations, 100 ms per push + 4.0 MiB/s, build fails halfway");
  assertIncludes(svg, "2 cores (cpu), Nix 2.8.0, 2026-01-01");
  assertIncludes(svg, "1.10×");
  assertIncludes(svg, "0 % of 100");
  assert(!svg.includes("NaN"));
});

Deno.test("renderChart() gives the same SVG for the same results", async () => {
  assert((await renderChart(results())) === (await renderChart(results())));
});

Deno.test("renderChart() leaves out the bars of a scenario without (a), the reference", async () => {
  const withoutA = results();
  const entry = withoutA.scenarios[0]!;
  const svg = await renderChart({
    ...withoutA,
    scenarios: [{
      ...entry,
      summary: { ...summary, strategies: summary.strategies.filter((s) => s.strategy !== "a") },
    }],
  });
  assertIncludes(svg, "(d) attic-ci");
  assertIncludes(svg, "median ? s");
  assert(!svg.includes("NaN"));
  assert(!svg.includes("1.10×"));
});
