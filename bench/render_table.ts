/**
 * Result tables, as aligned plain text for the terminal and as Markdown for
 * docs/benchmarks.md, from the same rows.
 *
 * @module
 */

import type { Summary } from "./stats.ts";
import type { ScenarioSummary, StrategySummary } from "./summary.ts";

/** A table: a header row and body rows of cells. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns aligned right (numbers). */
  readonly right: readonly number[];
}

/**
 * The main table of a scenario that builds successfully: build time and time
 * until everything is cached, their ratios to the build alone, push calls,
 * detection latency and the helper's resources.
 */
export function timingTable(summary: ScenarioSummary): Table {
  return {
    header: [
      "strategy",
      "build ends, s",
      "× (a)",
      "all cached, s",
      "× (a)",
      "build overhead",
      "push calls",
      "detect p50/p99 ms",
      "helper RSS MiB",
      "helper CPU s",
    ],
    right: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    rows: summary.strategies.map((s) => [
      label(s),
      spread(s.build, 2),
      times(s.buildRatio),
      spread(s.cached, 2),
      times(s.cachedRatio),
      s.strategy === "a" || s.overheadPercent === null ? "—" : signedPercent(s.overheadPercent),
      s.pushInvocations === null ? "—" : spread(s.pushInvocations, 0),
      s.detection === null ? "—" : `${s.detection.p50.toFixed(0)} / ${s.detection.p99.toFixed(0)}`,
      s.helper?.peakRssMiB ? spread(s.helper.peakRssMiB, 0) : "—",
      s.helper?.cpuSeconds ? spread(s.helper.cpuSeconds, 1) : "—",
    ]),
  };
}

/** The table of a scenario whose build fails halfway: what survived. */
export function failureTable(summary: ScenarioSummary): Table {
  return {
    header: [
      "strategy",
      "finished drvs",
      "cached",
      "cached fraction",
      "until exit, s",
      "push calls",
    ],
    right: [1, 2, 3, 4, 5],
    rows: summary.strategies.map((s) => [
      label(s),
      s.finished === null ? "—" : spread(s.finished, 0),
      s.finished === null || s.cachedFraction === null
        ? "—"
        : (s.finished.median * s.cachedFraction.median).toFixed(0),
      s.cachedFraction === null ? "—" : percentSpread(s.cachedFraction),
      spread(s.cached ?? s.build, 2),
      s.pushInvocations === null ? "—" : spread(s.pushInvocations, 0),
    ]),
  };
}

/** One scenario for {@linkcode clientTable}: its title and summary. */
export interface TitledSummary {
  readonly title: string;
  readonly summary: ScenarioSummary;
}

/**
 * attic-ci through the attic CLI (d) beside its built-in client (f), one row
 * per successful scenario that ran both: time until everything is cached,
 * build overhead, push calls, and the helper's CPU and peak RSS, each as
 * "cli / api" medians. Null when no scenario ran both.
 */
export function clientTable(scenarios: readonly TitledSummary[]): Table | null {
  const rows = scenarios.flatMap(({ title, summary }) => {
    const cli = summary.strategies.find((s) => s.strategy === "d");
    const api = summary.strategies.find((s) => s.strategy === "f");
    if (summary.failing || cli === undefined || api === undefined) return [];
    const pair = (f: (s: StrategySummary) => string) => `${f(cli)} / ${f(api)}`;
    const median = (x: Summary | null | undefined, digits: number) =>
      x == null ? "—" : x.median.toFixed(digits);
    return [[
      title,
      pair((s) => times(s.cachedRatio)),
      pair((s) => s.overheadPercent === null ? "—" : signedPercent(s.overheadPercent)),
      pair((s) => median(s.pushInvocations, 0)),
      pair((s) => median(s.helper?.cpuSeconds, 1)),
      pair((s) => median(s.helper?.peakRssMiB, 0)),
    ]];
  });
  if (rows.length === 0) return null;
  return {
    header: [
      "scenario",
      "all cached × (a), cli / api",
      "build overhead, cli / api",
      "push calls, cli / api",
      "helper CPU s, cli / api",
      "helper RSS MiB, cli / api",
    ],
    right: [1, 2, 3, 4, 5],
    rows,
  };
}

/** Render as aligned text with a rule under the header. */
export function toText(table: Table): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    row.map((cell, i) =>
      table.right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)
    )
      .join("  ").trimEnd();
  return [line(table.header), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)]
    .join("\n");
}

/** Render as a Markdown table. */
export function toMarkdown(table: Table): string {
  const line = (row: readonly string[]) =>
    `| ${row.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  const rule = `|${
    table.header.map((_, i) => table.right.includes(i) ? "---:" : "---").join("|")
  }|`;
  return [line(table.header), rule, ...table.rows.map(line)].join("\n");
}

/** "12.3 (11.9–13.0)": the median, then min–max when there is more than one sample. */
export function spread(summary: Summary | null, digits: number): string {
  if (summary === null) return "—";
  const f = (x: number) => x.toFixed(digits);
  if (summary.n < 2 || summary.min === summary.max) return f(summary.median);
  return `${f(summary.median)} (${f(summary.min)}–${f(summary.max)})`;
}

function label(s: StrategySummary): string {
  const warn = s.unexpected > 0 ? ` [${s.unexpected} bad run(s)]` : "";
  return `(${s.strategy}) ${s.name}${warn}`;
}

function times(ratio: number | null): string {
  return ratio === null ? "—" : `${ratio.toFixed(2)}×`;
}

function signedPercent(value: number): string {
  const rounded = value.toFixed(1);
  return `${value >= 0 ? "+" : ""}${rounded} %`;
}

function percentSpread(summary: Summary): string {
  const f = (x: number) => `${(x * 100).toFixed(0)} %`;
  if (summary.n < 2 || summary.min === summary.max) return f(summary.median);
  return `${f(summary.median)} (${f(summary.min)}–${f(summary.max)})`;
}
