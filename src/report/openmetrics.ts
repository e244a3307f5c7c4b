/**
 * The report's counts in the OpenMetrics text format, for GitLab's
 * `artifacts:reports:metrics` (merge requests show how they changed against
 * the target branch, on the tiers that have metrics reports). Every metric is
 * a gauge of this run, without labels; the file ends with `# EOF`. GitLab
 * reads each line as `name value` and skips comments.
 *
 * @module
 */

import type { Report } from "./report.ts";

/** What the metrics read of a report. */
export type MetricsReport = Pick<
  Report,
  | "incremental"
  | "finalPush"
  | "pushed"
  | "substitution"
  | "failed"
  | "retries"
  | "drainSeconds"
  | "transfer"
  | "startedAt"
  | "endedAt"
  | "pushOff"
>;

/** One metric: its name (`attic_ci_…`), help, unit (a suffix of the name) and value. */
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly unit?: "seconds" | "bytes";
  readonly value: number;
}

/**
 * The metrics of a report; a metric the run could not know (substitution
 * without a baseline, bytes outside the built-in client) is left out.
 */
export function reportMetrics(report: MetricsReport): Metric[] {
  const s = report.substitution;
  const metrics: (Metric | null)[] = [
    {
      name: "attic_ci_paths_pushed_incremental",
      help: "Store paths pushed while the build ran.",
      value: report.incremental,
    },
    {
      name: "attic_ci_paths_pushed_final",
      help: "Store paths pushed by the final push at the end.",
      value: report.finalPush,
    },
    {
      name: "attic_ci_paths_pushed",
      help: "Store paths pushed in all.",
      value: report.pushed,
    },
    s === null ? null : {
      name: "attic_ci_paths_substituted",
      help: "Store paths Nix substituted instead of building them.",
      value: s.substituted,
    },
    s === null || s.fromCache === null ? null : {
      name: "attic_ci_paths_substituted_from_cache",
      help: "Store paths Nix substituted from this cache (signed by its key).",
      value: s.fromCache,
    },
    s === null ? null : {
      name: "attic_ci_paths_built",
      help: "Store paths built (or added) on the runner.",
      value: s.built,
    },
    {
      name: "attic_ci_paths_failed",
      help: "Store paths that could not be pushed.",
      value: report.failed.length,
    },
    report.pushOff === null ? null : {
      name: "attic_ci_paths_not_pushed",
      help: "Store paths left unpushed because pushing was off (no token).",
      value: report.pushOff.left,
    },
    { name: "attic_ci_push_retries", help: "Push calls retried.", value: report.retries },
    {
      name: "attic_ci_drain_seconds",
      help: "Time the drain at the end waited for uploads.",
      unit: "seconds",
      value: report.drainSeconds,
    },
    {
      name: "attic_ci_run_seconds",
      help: "Time from the session's start to the report.",
      unit: "seconds",
      value: (report.endedAt - report.startedAt) / 1000,
    },
    report.transfer === null ? null : {
      name: "attic_ci_upload_bytes",
      help: "Bytes the built-in Attic client uploaded.",
      unit: "bytes",
      value: report.transfer.uploadedBytes,
    },
  ];
  return metrics.filter((m) => m !== null);
}

/**
 * The report's metrics as an OpenMetrics text exposition, ending with `# EOF`.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("metrics.txt", openMetrics(report));
 * ```
 */
export function openMetrics(report: MetricsReport): string {
  const lines: string[] = [];
  for (const metric of reportMetrics(report)) {
    lines.push(`# TYPE ${metric.name} gauge`);
    if (metric.unit) lines.push(`# UNIT ${metric.name} ${metric.unit}`);
    lines.push(`# HELP ${metric.name} ${metric.help}`);
    lines.push(`${metric.name} ${number(metric.value)}`);
  }
  lines.push("# EOF");
  return lines.join("\n") + "\n";
}

/** A finite number as OpenMetrics writes it (integers without a point, up to 3 decimals). */
function number(value: number): string {
  if (!Number.isFinite(value)) return "0";
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}
