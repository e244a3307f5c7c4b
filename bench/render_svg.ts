/**
 * The results chart, as a hand-written SVG (no chart library): one panel per
 * scenario with, for every strategy, a bar to the end of the build and a bar
 * to the moment everything is cached, both as multiples of the build alone,
 * with min–max whiskers; and for failing builds, the fraction of finished
 * derivations that reached the cache.
 *
 * @module
 */

import type { Summary } from "./stats.ts";
import type { ScenarioSummary } from "./summary.ts";

/** A panel: a scenario's summary and its title. */
export interface ChartPanel {
  readonly title: string;
  readonly summary: ScenarioSummary;
}

/** Options for {@linkcode renderChart}. */
export interface ChartOptions {
  /** Total width in px. @default 900 */
  readonly width?: number;
  /** Title at the top. @default "attic-ci benchmark" */
  readonly title?: string;
  /** Line under the title (machine, date). @default "" */
  readonly subtitle?: string;
}

const COLORS = {
  build: "#3b6ea8",
  cached: "#9cc3e6",
  good: "#3a8f5c",
  bad: "#c0504d",
  grid: "#dddddd",
  axis: "#888888",
  text: "#222222",
  whisker: "#333333",
};

const ROW = 26;
const LABEL_WIDTH = 190;
const PANEL_GAP = 34;

/**
 * Render the chart.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("docs/benchmarks.svg", renderChart(panels));
 * ```
 */
export function renderChart(panels: readonly ChartPanel[], options: ChartOptions = {}): string {
  const width = options.width ?? 900;
  const plotLeft = LABEL_WIDTH;
  const plotWidth = width - plotLeft - 100;
  const parts: string[] = [];
  let y = 30;
  parts.push(text(16, y, options.title ?? "attic-ci benchmark", { size: 18, weight: "bold" }));
  if (options.subtitle) {
    y += 20;
    parts.push(text(16, y, options.subtitle, { size: 12, fill: COLORS.axis }));
  }
  y += 22;
  parts.push(...legend(16, y));
  y += 22;

  const timing = panels.filter((p) => !p.summary.failing);
  const maxRatio = Math.max(
    1,
    ...timing.flatMap((p) =>
      p.summary.strategies.flatMap((s) => {
        const ref = referenceOf(p.summary);
        return ref === null ? [] : [s.build?.max ?? 0, s.cached?.max ?? 0].map((v) => v / ref);
      })
    ),
  );
  const axisMax = niceCeiling(maxRatio);
  const xRatio = (r: number) => plotLeft + (Math.min(r, axisMax) / axisMax) * plotWidth;

  for (const panel of panels) {
    y += PANEL_GAP - 14;
    parts.push(text(16, y, panel.title, { size: 14, weight: "bold" }));
    y += 12;
    const top = y;
    const rows = panel.summary.strategies.length;
    const bottom = top + rows * ROW;
    if (panel.summary.failing) {
      const xFrac = (f: number) => plotLeft + f * plotWidth;
      parts.push(...grid(top, bottom, [0, 0.25, 0.5, 0.75, 1], xFrac, (v) => `${v * 100} %`));
      panel.summary.strategies.forEach((s, i) => {
        const rowY = top + i * ROW;
        parts.push(text(plotLeft - 8, rowY + 17, `(${s.strategy}) ${s.name}`, { anchor: "end" }));
        const f = s.cachedFraction;
        if (f === null) return;
        const color = f.median >= 0.999
          ? COLORS.good
          : f.median <= 0.001
          ? COLORS.bad
          : COLORS.cached;
        parts.push(rect(xFrac(0), rowY + 6, Math.max(1, xFrac(f.median) - xFrac(0)), 14, color));
        parts.push(whisker(xFrac(f.min), xFrac(f.max), rowY + 13));
        parts.push(
          text(
            xFrac(Math.max(f.median, f.max)) + 6,
            rowY + 17,
            `${(f.median * 100).toFixed(0)} % of ${s.finished?.median.toFixed(0) ?? "?"}`,
            {
              size: 11,
            },
          ),
        );
      });
      y = bottom + 18;
      parts.push(
        text(plotLeft, y, "share of finished derivations in the cache after the failed build", {
          size: 11,
          fill: COLORS.axis,
        }),
      );
    } else {
      const ref = referenceOf(panel.summary);
      const ticks = tickValues(axisMax);
      parts.push(...grid(top, bottom, ticks, xRatio, (v) => `${v}×`));
      panel.summary.strategies.forEach((s, i) => {
        const rowY = top + i * ROW;
        parts.push(text(plotLeft - 8, rowY + 17, `(${s.strategy}) ${s.name}`, { anchor: "end" }));
        if (ref === null) return;
        const scaled = (summary: Summary | null) =>
          summary === null ? null : {
            median: summary.median / ref,
            min: summary.min / ref,
            max: summary.max / ref,
          };
        const build = scaled(s.build);
        const cached = scaled(s.cached);
        if (cached !== null) {
          parts.push(
            rect(xRatio(0), rowY + 4, xRatio(cached.median) - xRatio(0), 18, COLORS.cached),
          );
        }
        if (build !== null) {
          parts.push(rect(xRatio(0), rowY + 8, xRatio(build.median) - xRatio(0), 10, COLORS.build));
          parts.push(whisker(xRatio(build.min), xRatio(build.max), rowY + 13));
        }
        if (cached !== null) parts.push(whisker(xRatio(cached.min), xRatio(cached.max), rowY + 13));
        const end = Math.max(build?.max ?? 0, cached?.max ?? 0);
        const value = cached ?? build;
        if (value !== null) {
          parts.push(text(xRatio(end) + 6, rowY + 17, `${value.median.toFixed(2)}×`, { size: 11 }));
        }
      });
      y = bottom + 18;
      parts.push(
        text(
          plotLeft,
          y,
          `multiples of the build alone (median ${
            ref === null ? "?" : ref.toFixed(1)
          } s); whiskers: min–max`,
          { size: 11, fill: COLORS.axis },
        ),
      );
    }
    y += 8;
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function referenceOf(summary: ScenarioSummary): number | null {
  return summary.strategies.find((s) => s.strategy === "a")?.build?.median ?? null;
}

/** The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8, 10, ... that is ≥ value. */
export function niceCeiling(value: number): number {
  const steps = [1, 1.5, 2, 3, 4, 5, 6, 8, 10];
  let scale = 1;
  while (value > 10 * scale) scale *= 10;
  for (const step of steps) if (step * scale >= value) return step * scale;
  return 10 * scale;
}

function tickValues(axisMax: number): number[] {
  const step = axisMax <= 2 ? 0.5 : axisMax <= 5 ? 1 : axisMax <= 10 ? 2 : Math.ceil(axisMax / 5);
  const ticks: number[] = [];
  for (let v = 0; v <= axisMax + 1e-9; v += step) ticks.push(Math.round(v * 100) / 100);
  return ticks;
}

function legend(x: number, y: number): string[] {
  return [
    rect(x, y - 10, 24, 10, COLORS.build),
    text(x + 30, y, "build ends", { size: 12 }),
    rect(x + 120, y - 12, 24, 14, COLORS.cached),
    text(x + 150, y, "everything cached", { size: 12 }),
    rect(x + 290, y - 12, 24, 14, COLORS.good),
    text(x + 320, y, "all finished work cached", { size: 12 }),
    rect(x + 490, y - 12, 24, 14, COLORS.bad),
    text(x + 520, y, "nothing cached", { size: 12 }),
  ];
}

function grid(
  top: number,
  bottom: number,
  ticks: readonly number[],
  x: (v: number) => number,
  format: (v: number) => string,
): string[] {
  return ticks.flatMap((v) => [
    `<line x1="${r(x(v))}" y1="${r(top)}" x2="${r(x(v))}" y2="${r(bottom)}" stroke="${
      v === 0 || v === 1 ? COLORS.axis : COLORS.grid
    }" stroke-width="1"${v === 1 ? ' stroke-dasharray="4 3"' : ""}/>`,
    text(x(v), top - 2, format(v), { size: 10, anchor: "middle", fill: COLORS.axis }),
  ]).filter((s) => s !== "");
}

function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${r(x)}" y="${r(y)}" width="${r(Math.max(0, w))}" height="${
    r(h)
  }" fill="${fill}"/>`;
}

function whisker(x1: number, x2: number, y: number): string {
  if (Math.abs(x2 - x1) < 0.5) return "";
  return `<path d="M${r(x1)} ${r(y - 4)}v8M${r(x1)} ${r(y)}H${r(x2)}M${r(x2)} ${r(y - 4)}v8" ` +
    `stroke="${COLORS.whisker}" stroke-width="1" fill="none"/>`;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; weight?: string; anchor?: string; fill?: string },
): string {
  if (content === "") return "";
  const attrs = [
    `x="${r(x)}"`,
    `y="${r(y)}"`,
    `font-size="${style.size ?? 12}"`,
    style.weight ? `font-weight="${style.weight}"` : "",
    style.anchor ? `text-anchor="${style.anchor}"` : "",
    `fill="${style.fill ?? COLORS.text}"`,
  ].filter((a) => a !== "");
  return `<text ${attrs.join(" ")}>${escapeXml(content)}</text>`;
}

/** Escape text for XML content and attributes. */
export function escapeXml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function r(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}
