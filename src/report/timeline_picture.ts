/**
 * The report as a picture: one self-contained SVG (no script, no font or
 * image from anywhere, opens offline) that shows at a glance whether the
 * cache pays and what happened — the totals (pushed while the build ran and
 * at the end, substituted, built, uploaded, failed), and on one time axis the
 * build, the drain and the final push, with each store path's moment of being
 * finished (Nix released its lock) and of being cached. Up to
 * {@linkcode DETAIL_LIMIT} paths get a row each, named; above that the paths
 * are aggregated (finished and cached per time bucket, both so far) and the
 * slowest to be cached and the failed ones are named. Every string from the
 * report is escaped.
 *
 * Pure: the report in, the SVG text out.
 *
 * @module
 */

import { escapeMarkup } from "./markup.ts";
import type { Report } from "./report.ts";

/** What the picture reads of a report (a saved report of an older version has no `phases`). */
export type PictureReport =
  & Pick<
    Report,
    | "command"
    | "backend"
    | "target"
    | "startedAt"
    | "endedAt"
    | "exitCode"
    | "incremental"
    | "finalPush"
    | "substitution"
    | "pushOff"
    | "attribution"
    | "failed"
    | "failures"
    | "retries"
    | "drainSeconds"
    | "paths"
    | "omitted"
    | "transfer"
  >
  & { readonly phases: Report["phases"] | null };

/** Paths drawn one row each; a report with more is aggregated. */
export const DETAIL_LIMIT = 40;

/** Options of {@linkcode timelinePicture}. */
export interface TimelinePictureOptions {
  /** Paths drawn one row each before the picture aggregates. @default {@linkcode DETAIL_LIMIT} */
  readonly detailLimit?: number;
}

const WIDTH = 1100;
const PAD = 24;
const ROW = 18;
const COLOR = {
  text: "#1f2933",
  muted: "#616e7c",
  grid: "#e4e7eb",
  finished: "#52606d",
  incremental: "#2f9e44",
  final: "#e8590c",
  failed: "#c92a2a",
  notPushed: "#9aa5b1",
  build: "#d0ebff",
  drain: "#fff3bf",
  finalPush: "#ffe8cc",
  card: "#f5f7fa",
} as const;

/**
 * The report's timeline picture, as SVG text.
 *
 * @example
 * ```ts
 * const svg = timelinePicture(report);
 * await Deno.writeTextFile("timeline.svg", svg);
 * ```
 */
export function timelinePicture(
  report: PictureReport,
  options: TimelinePictureOptions = {},
): string {
  const limit = options.detailLimit ?? DETAIL_LIMIT;
  const detailed = report.paths.length <= limit;
  const out: string[] = [];
  let y = header(out, report);
  const axis = timeAxis(report, detailed ? PAD + 300 : PAD + 90, WIDTH - PAD);
  const phasesTop = y + 8;
  y = phaseBand(out, report, axis, phasesTop);
  const chartTop = y;
  out.push(CHART);
  y = detailed ? pathRows(out, report, axis, y + 6) : aggregate(out, report, axis, y + 6);
  y = ticks(out, axis, chartTop, y);
  buildEnd(out, report, axis, phasesTop, y - 30);
  if (!detailed) y = namedPaths(out, report, y + 8);
  y = legend(out, y + 12);
  const footer = `attic-ci report: ${count(report.paths.length)} store paths in the report` +
    (report.omitted.paths > 0
      ? `; ${count(report.omitted.paths)} earlier ones pushed while streaming are counted ` +
        "above but not kept in it"
      : "");
  out.push(text(PAD, y + 18, footer, { size: 11, fill: COLOR.muted }));
  const height = Math.ceil(y + 30);
  const title = `attic-ci ${report.command}: ${report.incremental} store paths pushed ` +
    `during the build, ${report.finalPush} at the end`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Verdana, Arial, sans-serif" ` +
    `role="img" aria-labelledby="title">`,
    `<title id="title">${escapeMarkup(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}

/** The title, the run's facts and the totals; returns the y below them. */
function header(out: string[], r: PictureReport): number {
  out.push(
    text(PAD, 32, clip(`attic-ci ${r.command} → ${r.target}`, 95), { size: 18, weight: "bold" }),
  );
  const seconds = (r.endedAt - r.startedAt) / 1000;
  const facts = [
    `started ${utc(r.startedAt)}`,
    `ran ${duration(seconds)}`,
    `backend ${r.backend}`,
    ...(r.exitCode === null ? [] : [`exit code ${r.exitCode}`]),
  ];
  out.push(text(PAD, 52, facts.join("  ·  "), { size: 12, fill: COLOR.muted }));

  const s = r.substitution;
  const t = r.transfer;
  const cards: Card[] = [
    { value: count(r.incremental), label: "pushed during the build", color: COLOR.incremental },
    { value: count(r.finalPush), label: "pushed at the end", color: COLOR.final },
    s === null ? { value: "–", label: "substituted (not known)" } : {
      value: count(s.substituted),
      label: "substituted",
      sub: s.fromCache === null ? "by any cache" : `${count(s.fromCache)} from this cache`,
    },
    s === null ? { value: "–", label: "built here (not known)" } : {
      value: count(s.built),
      label: "built here",
    },
    t === null ? { value: "–", label: "uploaded", sub: "built-in client only" } : {
      value: bytes(t.uploadedBytes),
      label: "uploaded",
      sub: `${count(t.uploaded)} paths, ${count(t.alreadyCached)} already cached`,
    },
    {
      value: count(r.failed.length),
      label: "failed",
      ...(r.failed.length > 0 ? { color: COLOR.failed } : {}),
    },
  ];
  const gap = 10;
  const width = (WIDTH - 2 * PAD - gap * (cards.length - 1)) / cards.length;
  cards.forEach((card, i) => {
    const x = PAD + i * (width + gap);
    out.push(rect(x, 66, width, 70, COLOR.card, 6));
    out.push(
      text(x + 12, 96, card.value, { size: 22, weight: "bold", fill: card.color ?? COLOR.text }),
    );
    out.push(text(x + 12, 114, card.label, { size: 12 }));
    if (card.sub) out.push(text(x + 12, 129, clip(card.sub, 30), { size: 10, fill: COLOR.muted }));
  });

  const p = r.phases;
  const notes = [
    `drain ${duration(r.drainSeconds)}`,
    ...(p?.finalPushStartedAt != null && p.finalPushEndedAt != null
      ? [`final push ${duration((p.finalPushEndedAt - p.finalPushStartedAt) / 1000)}`]
      : []),
    `${count(r.retries)} retries`,
    ...(r.attribution.mode === "all"
      ? []
      : [`${count(r.attribution.foreign)} other paths on the store left alone`]),
  ];
  out.push(text(PAD, 156, notes.join("  ·  "), { size: 12, fill: COLOR.muted }));
  let y = 156;
  if (r.pushOff !== null) {
    y += 18;
    out.push(
      text(
        PAD,
        y,
        clip(
          `pushing was off (${r.pushOff.reason}): ${count(r.pushOff.left)} store paths ` +
            "were not pushed",
          140,
        ),
        { size: 12, weight: "bold", fill: COLOR.failed },
      ),
    );
  }
  return y + 12;
}

interface Card {
  readonly value: string;
  readonly label: string;
  readonly sub?: string;
  readonly color?: string;
}

/** Maps time to x. */
interface Axis {
  readonly t0: number;
  readonly t1: number;
  readonly x0: number;
  readonly x1: number;
  x(at: number): number;
}

function timeAxis(r: PictureReport, x0: number, x1: number): Axis {
  const times = [r.startedAt, r.endedAt];
  for (const p of r.paths) {
    times.push(p.detectedAt);
    if (p.pushedAt !== null) times.push(p.pushedAt);
  }
  for (const at of Object.values(r.phases ?? {})) if (at !== null) times.push(at);
  const finite = times.filter(Number.isFinite);
  const t0 = Math.min(...finite);
  const t1 = Math.max(t0 + 1000, ...finite);
  return { t0, t1, x0, x1, x: (at) => x0 + ((at - t0) / (t1 - t0)) * (x1 - x0) };
}

/** Marks where the chart starts in the output: its grid goes behind what follows. */
const CHART = "<!--chart-->";

/**
 * The build, the drain and the final push on the axis, each named above its
 * band (names pushed apart where bands are too short for them); returns the
 * y below the band. The row above the names is the build's end's.
 */
function phaseBand(out: string[], r: PictureReport, axis: Axis, top: number): number {
  const y = top + 36;
  const p = r.phases;
  const bands: [string, number | null | undefined, number | null | undefined, string][] = [
    ["build", r.startedAt, p?.buildEndedAt, COLOR.build],
    ["drain", p?.drainStartedAt, p?.drainEndedAt, COLOR.drain],
    ["final push", p?.finalPushStartedAt, p?.finalPushEndedAt, COLOR.finalPush],
  ];
  out.push(text(PAD, y + 14, "phases", { size: 12, fill: COLOR.muted }));
  const labels: { x: number; width: number; text: string }[] = [];
  for (const [name, from, to, fill] of bands) {
    if (from == null || to == null) continue;
    const x = axis.x(from);
    out.push(rect(x, y, Math.max(2, axis.x(to) - x), 20, fill, 3, "#adb5bd"));
    const label = `${name} ${duration((to - from) / 1000)}`;
    labels.push({ x, width: label.length * 6.9, text: label });
  }
  for (let i = 1; i < labels.length; i++) {
    labels[i]!.x = Math.max(labels[i]!.x, labels[i - 1]!.x + labels[i - 1]!.width + 10);
  }
  for (let i = labels.length - 1; i >= 0; i--) {
    const right = i === labels.length - 1 ? axis.x1 : labels[i + 1]!.x - 10;
    labels[i]!.x = Math.min(labels[i]!.x, right - labels[i]!.width);
  }
  for (const label of labels) out.push(text(label.x, y - 6, label.text, { size: 11 }));
  return y + 20;
}

/** One row per path, named; returns the y below them. */
function pathRows(out: string[], r: PictureReport, axis: Axis, top: number): number {
  const failed = new Set(r.failed);
  const rows = [...r.paths].sort((a, b) => a.detectedAt - b.detectedAt);
  rows.forEach((p, i) => {
    const y = top + i * ROW + ROW / 2;
    out.push(
      text(PAD, y + 4, clip(nameOf(p.path), 40), {
        size: 11,
        family: "DejaVu Sans Mono, Menlo, Consolas, monospace",
      }),
    );
    const xf = axis.x(p.detectedAt);
    if (p.pushedAt !== null) {
      const xc = axis.x(p.pushedAt);
      const color = p.phase === "final" ? COLOR.final : COLOR.incremental;
      out.push(line(xf, y, xc, y, color, 2));
      out.push(circle(xf, y, 4, COLOR.finished));
      out.push(diamond(xc, y, 5, color));
    } else if (failed.has(p.path)) {
      out.push(circle(xf, y, 4, COLOR.finished));
      out.push(cross(xf + 12, y, 5, COLOR.failed));
      out.push(text(xf + 22, y + 4, "failed", { size: 11, fill: COLOR.failed }));
    } else {
      out.push(circle(xf, y, 4, "none", COLOR.notPushed));
      out.push(text(xf + 10, y + 4, "not pushed", { size: 11, fill: COLOR.notPushed }));
    }
  });
  // Failed paths the timeline has no record of (the report keeps every failure).
  const recorded = new Set(rows.map((p) => p.path));
  const unrecorded = r.failed.filter((path) => !recorded.has(path));
  let y = top + rows.length * ROW;
  if (unrecorded.length > 0) {
    y += 16;
    out.push(
      text(
        PAD,
        y,
        clip(
          `also failed: ${unrecorded.slice(0, 5).map(nameOf).join(", ")}` +
            (unrecorded.length > 5 ? `, and ${unrecorded.length - 5} more` : ""),
          150,
        ),
        { size: 11, fill: COLOR.failed },
      ),
    );
  }
  return y + 6;
}

/** Paths finished and cached per time bucket, and both so far; returns the y below. */
function aggregate(out: string[], r: PictureReport, axis: Axis, top: number): number {
  const buckets = 100;
  const span = axis.t1 - axis.t0;
  const size = span / buckets;
  const finished = new Array<number>(buckets).fill(0);
  const incremental = new Array<number>(buckets).fill(0);
  const final = new Array<number>(buckets).fill(0);
  const bucketOf = (at: number) =>
    Math.min(buckets - 1, Math.max(0, Math.floor((at - axis.t0) / size)));
  for (const p of r.paths) {
    finished[bucketOf(p.detectedAt)]!++;
    if (p.pushedAt !== null) (p.phase === "final" ? final : incremental)[bucketOf(p.pushedAt)]!++;
  }
  const most = Math.max(1, ...finished, ...incremental.map((n, i) => n + final[i]!));
  const half = 60;
  const base = top + half + 4;
  const w = (axis.x1 - axis.x0) / buckets;
  const per = `per ${duration(size / 1000)}`;
  out.push(text(PAD, top + 14, "finished", { size: 11 }));
  out.push(text(PAD, top + 28, per, { size: 10, fill: COLOR.muted }));
  out.push(text(PAD, base + 22, "cached", { size: 11 }));
  out.push(text(PAD, base + 36, per, { size: 10, fill: COLOR.muted }));
  out.push(text(axis.x0 - 6, top + 10, count(most), { size: 10, anchor: "end" }));
  out.push(text(axis.x0 - 6, base + half, count(most), { size: 10, anchor: "end" }));
  for (let i = 0; i < buckets; i++) {
    const x = axis.x0 + i * w;
    const up = (finished[i]! / most) * half;
    if (up > 0) out.push(rect(x, base - up, Math.max(1, w - 1), up, COLOR.finished));
    const inc = (incremental[i]! / most) * half;
    const fin = (final[i]! / most) * half;
    if (inc > 0) out.push(rect(x, base, Math.max(1, w - 1), inc, COLOR.incremental));
    if (fin > 0) out.push(rect(x, base + inc, Math.max(1, w - 1), fin, COLOR.final));
  }
  out.push(line(axis.x0, base, axis.x1, base, COLOR.muted, 1));

  // Both so far: how far the cache trails the build.
  const top2 = base + half + 18;
  const height = 110;
  const total = Math.max(1, r.paths.length);
  const yOf = (n: number) => top2 + height - (n / total) * height;
  const steps = (times: number[]) => {
    const sorted = times.sort((a, b) => a - b);
    const points = [`${axis.x0.toFixed(1)},${yOf(0).toFixed(1)}`];
    sorted.forEach((at, i) => {
      const x = axis.x(at).toFixed(1);
      points.push(`${x},${yOf(i).toFixed(1)}`, `${x},${yOf(i + 1).toFixed(1)}`);
    });
    points.push(`${axis.x1.toFixed(1)},${yOf(sorted.length).toFixed(1)}`);
    return thin(points);
  };
  out.push(rect(axis.x0, top2, axis.x1 - axis.x0, height, "none", 0, COLOR.grid));
  out.push(
    polyline(steps(r.paths.map((p) => p.detectedAt)), "#adb5bd", 5),
    polyline(
      steps(r.paths.flatMap((p) => p.pushedAt === null ? [] : [p.pushedAt])),
      COLOR.incremental,
      2,
    ),
  );
  out.push(text(PAD, top2 + 14, "so far", { size: 11 }));
  out.push(line(PAD, top2 + 30, PAD + 14, top2 + 30, "#adb5bd", 5));
  out.push(text(PAD + 18, top2 + 34, "finished", { size: 10 }));
  out.push(line(PAD, top2 + 46, PAD + 14, top2 + 46, COLOR.incremental, 2));
  out.push(text(PAD + 18, top2 + 50, "cached", { size: 10 }));
  out.push(text(axis.x0 - 6, top2 + 10, count(r.paths.length), { size: 10, anchor: "end" }));
  out.push(text(axis.x0 - 6, top2 + height, "0", { size: 10, anchor: "end" }));
  return top2 + height + 4;
}

/** At most one point per pixel column and height: a 5,000-path line stays small. */
function thin(points: string[]): string[] {
  const kept: string[] = [];
  let last = "";
  for (const point of points) {
    const [x, y] = point.split(",");
    const key = `${Math.round(Number(x))},${Math.round(Number(y))}`;
    if (key !== last) kept.push(point);
    last = key;
  }
  return kept;
}

/** The slowest paths to reach the cache, and the failed ones, by name; returns the y below. */
function namedPaths(out: string[], r: PictureReport, top: number): number {
  const mono = "DejaVu Sans Mono, Menlo, Consolas, monospace";
  const slowest = r.paths
    .filter((p) => p.pushedAt !== null)
    .map((p) => ({ p, wait: (p.pushedAt! - p.detectedAt) / 1000 }))
    .sort((a, b) => b.wait - a.wait)
    .slice(0, 8);
  let y = top + 14;
  out.push(
    text(PAD, y, `slowest to reach the cache (of ${count(r.paths.length)} paths)`, {
      size: 12,
      weight: "bold",
    }),
  );
  for (const { p, wait } of slowest) {
    y += 16;
    out.push(text(PAD + 70, y, duration(wait), { size: 11, anchor: "end" }));
    out.push(
      text(PAD + 80, y, clip(nameOf(p.path), 70), {
        size: 11,
        family: mono,
        fill: p.phase === "final" ? COLOR.final : COLOR.incremental,
      }),
    );
  }
  const notPushed = r.paths.filter((p) => p.pushedAt === null).length;
  if (notPushed > 0) {
    y += 18;
    out.push(
      text(PAD, y, `${count(notPushed)} paths in the report were not cached`, {
        size: 11,
        fill: COLOR.muted,
      }),
    );
  }
  if (r.failed.length > 0) {
    y += 22;
    out.push(
      text(PAD, y, `failed (${count(r.failed.length)})`, {
        size: 12,
        weight: "bold",
        fill: COLOR.failed,
      }),
    );
    for (const path of r.failed.slice(0, 8)) {
      y += 16;
      out.push(
        text(PAD + 10, y, clip(`${nameOf(path)}: ${r.failures[path] ?? "unknown error"}`, 150), {
          size: 11,
          family: mono,
          fill: COLOR.failed,
        }),
      );
    }
    if (r.failed.length > 8) {
      y += 16;
      out.push(text(PAD + 10, y, `… and ${count(r.failed.length - 8)} more`, { size: 11 }));
    }
  }
  return y;
}

/** Grid lines and the time labels under the chart; returns the y below them. */
function ticks(out: string[], axis: Axis, top: number, bottom: number): number {
  const span = (axis.t1 - axis.t0) / 1000;
  const step = niceStep(span / 8);
  const grid: string[] = [];
  for (let s = 0; s <= span + 1e-9; s += step) {
    const x = axis.x(axis.t0 + s * 1000);
    grid.push(line(x, top, x, bottom, COLOR.grid, 1));
    grid.push(text(x, bottom + 14, offset(s, step), { size: 10, anchor: "middle" }));
  }
  // Behind everything drawn in the chart.
  const first = out.indexOf(CHART);
  out.splice(first < 0 ? out.length : first, 1, ...grid);
  out.push(
    text(axis.x1, bottom + 28, "time since the start", {
      size: 10,
      anchor: "end",
      fill: COLOR.muted,
    }),
  );
  return bottom + 30;
}

/** The dashed line where the build ended, from its label above the phases across the chart. */
function buildEnd(out: string[], r: PictureReport, axis: Axis, top: number, bottom: number) {
  const at = r.phases?.buildEndedAt;
  if (at == null) return;
  const x = axis.x(at);
  out.push(
    `<line x1="${n(x)}" y1="${n(top + 14)}" x2="${n(x)}" y2="${n(top + 22)}" ` +
      `stroke="${COLOR.text}" stroke-width="1.5"/>`,
    `<line x1="${n(x)}" y1="${n(top + 36)}" x2="${n(x)}" y2="${n(bottom)}" ` +
      `stroke="${COLOR.text}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
  );
  const right = x > axis.x1 - 170;
  out.push(
    text(right ? x - 4 : x + 4, top + 10, `build ended (${duration((at - r.startedAt) / 1000)})`, {
      size: 11,
      weight: "bold",
      ...(right ? { anchor: "end" as const } : {}),
    }),
  );
}

function legend(out: string[], top: number): number {
  const y = top + 10;
  let x = PAD;
  const item = (mark: string, label: string) => {
    out.push(mark, text(x + 12, y + 4, label, { size: 11 }));
    x += 24 + label.length * 6.3;
  };
  item(circle(x + 4, y, 4, COLOR.finished), "finished (Nix released its lock)");
  item(diamond(x + 4, y, 5, COLOR.incremental), "cached while the build ran");
  item(diamond(x + 4, y, 5, COLOR.final), "cached by the final push");
  item(cross(x + 4, y, 5, COLOR.failed), "failed to push");
  item(circle(x + 4, y, 4, "none", COLOR.notPushed), "not pushed");
  return y + 8;
}

/** A step of 1, 2 or 5 × 10^k seconds, at least `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1e-3)));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

/** A tick's label: seconds, or minutes and seconds once the steps are a minute or more. */
function offset(seconds: number, step: number): string {
  if (step >= 60) {
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds - m * 60);
    return `${m}:${String(s).padStart(2, "0")}`;
  }
  return `${Number(seconds.toFixed(step < 1 ? 1 : 0))} s`;
}

/** `0.4 s`, `12 s`, `3 min 5 s`. */
function duration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** `2026-11-23 12:13:20 UTC`; `?` for a time no date has (a saved report says anything). */
function utc(at: number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime())
    ? "?"
    : `${date.toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function bytes(value: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = value;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return unit === 0 ? `${v} B` : `${v.toFixed(1)} ${units[unit]}`;
}

/** A store path's name without its directory and hash. */
function nameOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/^[0-9a-df-np-sv-z]{32}-/, "");
}

/** At most `max` characters, with an ellipsis when cut. */
function clip(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join("")}…`;
}

function n(value: number): string {
  return Number(value.toFixed(1)).toString();
}

interface TextStyle {
  readonly size: number;
  readonly weight?: "bold";
  readonly fill?: string;
  readonly anchor?: "start" | "middle" | "end";
  readonly family?: string;
}

/** A `<text>` element; `value` is escaped. */
function text(x: number, y: number, value: string, style: TextStyle): string {
  const attributes = [
    `x="${n(x)}"`,
    `y="${n(y)}"`,
    `font-size="${style.size}"`,
    ...(style.weight ? [`font-weight="${style.weight}"`] : []),
    `fill="${style.fill ?? COLOR.text}"`,
    ...(style.anchor && style.anchor !== "start" ? [`text-anchor="${style.anchor}"`] : []),
    ...(style.family ? [`font-family="${escapeMarkup(style.family)}"`] : []),
  ];
  return `<text ${attributes.join(" ")}>${escapeMarkup(value)}</text>`;
}

function rect(
  x: number,
  y: number,
  w: number,
  h: number,
  fill: string,
  radius = 0,
  stroke?: string,
): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"` +
    (radius > 0 ? ` rx="${radius}"` : "") + (stroke ? ` stroke="${stroke}"` : "") + "/>";
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, width: number) {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" ` +
    `stroke-width="${width}"/>`;
}

function circle(x: number, y: number, r: number, fill: string, stroke?: string): string {
  return `<circle cx="${n(x)}" cy="${n(y)}" r="${r}" fill="${fill}"` +
    (stroke ? ` stroke="${stroke}" stroke-width="1.5"` : "") + "/>";
}

function diamond(x: number, y: number, r: number, fill: string): string {
  return `<path d="M${n(x)} ${n(y - r)}L${n(x + r)} ${n(y)}L${n(x)} ${n(y + r)}L${n(x - r)} ` +
    `${n(y)}Z" fill="${fill}"/>`;
}

function cross(x: number, y: number, r: number, stroke: string): string {
  return `<path d="M${n(x - r)} ${n(y - r)}L${n(x + r)} ${n(y + r)}M${n(x - r)} ${n(y + r)}` +
    `L${n(x + r)} ${n(y - r)}" stroke="${stroke}" stroke-width="2"/>`;
}

function polyline(points: string[], stroke: string, width: number): string {
  return `<polyline points="${points.join(" ")}" fill="none" stroke="${stroke}" ` +
    `stroke-width="${width}" stroke-linejoin="round"/>`;
}
