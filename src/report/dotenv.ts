/**
 * The report's counts as a dotenv file, for GitLab's
 * `artifacts:reports:dotenv`: later jobs of the pipeline get them as
 * variables (`ATTIC_CI_PUSHED=41`). GitLab refuses the whole upload of a
 * malformed dotenv file, so every line is `NAME=value` with a name of letters,
 * digits and `_` and a value of digits (or a decimal), a few lines in all
 * (GitLab allows at most 20 variables and 5 KB). None of the names is a
 * variable the helper reads (a later job's helper would take it for an
 * option).
 *
 * @module
 */

import type { MetricsReport } from "./openmetrics.ts";

/** The report's counts as variables, in the order the file lists them. */
export function reportVariables(report: MetricsReport): Record<string, string> {
  const s = report.substitution;
  const variables: Record<string, string> = {
    ATTIC_CI_PUSHED: String(report.pushed),
    ATTIC_CI_PUSHED_INCREMENTAL: String(report.incremental),
    ATTIC_CI_PUSHED_FINAL: String(report.finalPush),
    ATTIC_CI_FAILED: String(report.failed.length),
  };
  if (s !== null) {
    variables.ATTIC_CI_SUBSTITUTED = String(s.substituted);
    if (s.fromCache !== null) variables.ATTIC_CI_SUBSTITUTED_FROM_CACHE = String(s.fromCache);
    variables.ATTIC_CI_BUILT = String(s.built);
  }
  variables.ATTIC_CI_DRAIN_SECONDS = report.drainSeconds.toFixed(1);
  if (report.transfer !== null) {
    variables.ATTIC_CI_UPLOADED_BYTES = String(report.transfer.uploadedBytes);
  }
  return variables;
}

/**
 * The report's counts as `NAME=value` lines.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("attic-ci.env", dotenv(report)); // "ATTIC_CI_PUSHED=41\n…"
 * ```
 */
export function dotenv(report: MetricsReport): string {
  return Object.entries(reportVariables(report)).map(([name, value]) => `${name}=${value}\n`)
    .join("");
}
