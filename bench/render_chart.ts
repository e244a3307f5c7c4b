/**
 * The results chart (docs/benchmarks.svg), drawn by Vega-Lite and rendered to
 * SVG by Vega without a browser: one panel per scenario with, for every
 * strategy, a bar to the end of the build and a bar to the moment everything
 * is cached, both as multiples of the build alone, with min–max whiskers; and
 * for failing builds, the share of finished derivations that reached the cache.
 *
 * @module
 */

import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { type BenchResults, type ScenarioEntry, scenarioTitle } from "./results.ts";
import type { Summary } from "./stats.ts";

const SERIES = {
  build: "build ends",
  cached: "everything cached",
  all: "all finished work cached",
  none: "nothing cached",
} as const;

/** One colour per series, shared by every panel (and its one legend). */
const COLOR = {
  domain: Object.values(SERIES),
  range: ["#3b6ea8", "#9cc3e6", "#3a8f5c", "#c0504d"],
};

const WIDTH = 560;

/** One panel of the chart (a Vega-Lite layer spec). */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>["vconcat"][number];
type Layer = Extract<Panel, { layer: unknown }>["layer"][number];

/**
 * Render the chart for a set of results as an SVG document.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("docs/benchmarks.svg", await renderChart(results));
 * ```
 */
export async function renderChart(results: BenchResults): Promise<string> {
  const timing = results.scenarios.filter((s) => !s.summary.failing);
  const largest = Math.max(
    1,
    ...timing.flatMap((s) =>
      s.summary.strategies.flatMap((t) => [t.build?.max ?? 0, t.cached?.max ?? 0])
        .map((v) => v / (reference(s) ?? Infinity))
    ),
  );
  const m = results.machine;
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "attic-ci benchmark: time until the build ends and until everything is cached",
      subtitle: `${m.cores} cores (${m.cpu}), Nix ${m.nix.replace(/^nix \(Nix\) /, "")}, ${
        results.endedAt.slice(0, 10)
      }; medians of alternated runs`,
      anchor: "start",
    },
    vconcat: results.scenarios.map((s) =>
      s.summary.failing ? failurePanel(s) : timingPanel(s, Math.ceil(largest))
    ),
    spacing: 28,
    resolve: { scale: { color: "shared", stroke: "shared" } },
    config: {
      font: "Helvetica, Arial, sans-serif",
      view: { stroke: null },
      legend: { orient: "top", direction: "horizontal", labelFontSize: 12, labelLimit: 0 },
      axis: { titleFontWeight: "normal", titleColor: "#888888", labelColor: "#888888" },
      axisY: {
        title: null,
        domain: false,
        ticks: false,
        labelFontSize: 12,
        labelLimit: 0,
        labelColor: "#222222",
        labelPadding: 6,
      },
      title: { fontSize: 14, offset: 8 },
    },
  };
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return (await view.toSVG()) + "\n";
  } finally {
    view.finalize();
  }
}

/** Build ends and everything cached, as multiples of the build alone. */
function timingPanel(entry: ScenarioEntry, axisMax: number): Panel {
  // Without (a) there is nothing to divide by: the panel keeps its rows, without bars.
  const ref = reference(entry);
  const scale = (s: Summary | null) =>
    s === null || ref === null
      ? null
      : { median: s.median / ref, min: s.min / ref, max: s.max / ref };
  const rows = entry.summary.strategies.flatMap((s) => {
    const label = `(${s.strategy}) ${s.name}`;
    const build = scale(s.build);
    const cached = scale(s.cached);
    const value = cached ?? build;
    return [
      ...(cached === null ? [] : [{ label, series: SERIES.cached, ...cached }]),
      ...(build === null ? [] : [{ label, series: SERIES.build, ...build }]),
      ...(value === null ? [] : [{
        label,
        series: "text",
        end: Math.max(build?.max ?? 0, cached?.max ?? 0),
        text: `${value.median.toFixed(2)}×`,
      }]),
    ];
  });
  return panel(entry, rows, {
    domain: [0, axisMax],
    title: `multiples of the build alone (median ${ref?.toFixed(1) ?? "?"} s); whiskers: min–max`,
    labelExpr: "datum.value + '×'",
  });
}

/** The share of finished derivations in the cache after the failed build. */
function failurePanel(entry: ScenarioEntry): Panel {
  const rows = entry.summary.strategies.flatMap((s) => {
    const f = s.cachedFraction;
    if (f === null) return [];
    const series = f.median >= 0.999 ? SERIES.all : f.median <= 0.001 ? SERIES.none : SERIES.cached;
    const label = `(${s.strategy}) ${s.name}`;
    return [
      { label, series, median: f.median, min: f.min, max: f.max },
      {
        label,
        series: "text",
        end: Math.max(f.median, f.max),
        text: `${(f.median * 100).toFixed(0)} % of ${s.finished?.median.toFixed(0) ?? "?"}`,
      },
    ];
  });
  return panel(entry, rows, {
    domain: [0, 1],
    labelExpr: "round(datum.value * 100) + ' %'",
    title: "share of finished derivations in the cache after the failed build",
  });
}

/** A panel: bars (the wider one behind), whiskers, the 1× line and a value label per row. */
function panel(
  entry: ScenarioEntry,
  rows: Record<string, unknown>[],
  x: { domain: number[]; title: string; labelExpr: string },
): Panel {
  const y = {
    field: "label",
    type: "nominal",
    // Every strategy gets its row, in the scenario's order, bars or not.
    scale: { domain: entry.summary.strategies.map((s) => `(${s.strategy}) ${s.name}`) },
  } as const;
  const bar = (filter: string, size: number): Layer => ({
    transform: [{ filter }],
    mark: { type: "bar", size, strokeWidth: 1 },
    encoding: {
      y,
      x: {
        field: "median",
        type: "quantitative",
        stack: null,
        scale: { domain: x.domain },
        axis: { title: x.title, orient: "top", labelExpr: x.labelExpr, tickCount: 8 },
      },
      color: { field: "series", type: "nominal", scale: COLOR, legend: { title: null } },
      // A zero-width bar still shows as a line of its colour.
      stroke: { field: "series", type: "nominal", scale: COLOR, legend: { title: null } },
    },
  });
  return {
    title: { text: scenarioTitle(entry.result), anchor: "start" },
    width: WIDTH,
    height: { step: 26 },
    data: { values: rows },
    layer: [
      bar(`datum.series !== 'text' && datum.series !== '${SERIES.build}'`, 18),
      bar(`datum.series === '${SERIES.build}'`, 10),
      {
        transform: [{ filter: "datum.series !== 'text' && datum.max - datum.min > 1e-9" }],
        mark: { type: "rule", color: "#333333" },
        encoding: { y, x: { field: "min", type: "quantitative" }, x2: { field: "max" } },
      },
      {
        mark: { type: "rule", color: "#888888", strokeDash: [4, 3] },
        encoding: { x: { datum: 1, type: "quantitative" } },
      },
      {
        transform: [{ filter: "datum.series === 'text'" }],
        mark: { type: "text", align: "left", dx: 6, fontSize: 11 },
        encoding: { y, x: { field: "end", type: "quantitative" }, text: { field: "text" } },
      },
    ],
  };
}

/** The median build time of (a), which every ratio divides by. */
function reference(entry: ScenarioEntry): number | null {
  return entry.summary.strategies.find((s) => s.strategy === "a")?.build?.median ?? null;
}
