/**
 * The report's counts as OpenMetrics for GitLab's metrics report: every
 * sample `name value`, each metric typed, unknown counts left out, `# EOF`
 * last; and what GitLab's own parser makes of it.
 */

import { openMetrics, reportMetrics } from "../../src/report/openmetrics.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { syntheticReport } from "../helpers/report_fixture.ts";

/** What GitLab reads of a metrics file: each line without its comment, split into name and value. */
function asGitLabReads(text: string): Record<string, string> {
  const metrics: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const [name, value] = line.replace(/#.*$/, "").trim().split(/\s+/);
    if (name && value) metrics[name] = value;
  }
  return metrics;
}

Deno.test("openMetrics() writes the counts GitLab shows, each a typed gauge, and ends with # EOF", () => {
  const report = syntheticReport(20);
  const text = openMetrics(report);
  assert(text.endsWith("# EOF\n"), text);
  assertEquals(asGitLabReads(text), {
    attic_ci_paths_pushed_incremental: "16",
    attic_ci_paths_pushed_final: "2",
    attic_ci_paths_pushed: "18",
    attic_ci_paths_substituted: "14",
    attic_ci_paths_substituted_from_cache: "12",
    attic_ci_paths_built: "20",
    attic_ci_paths_failed: "2",
    attic_ci_push_retries: "6",
    attic_ci_drain_seconds: "1.8",
    attic_ci_run_seconds: String((report.endedAt - report.startedAt) / 1000),
    attic_ci_upload_bytes: String(18 * 181_000),
  });
  // OpenMetrics: a TYPE before each family's samples, a UNIT that is a suffix of its name.
  const lines = text.trimEnd().split("\n");
  for (const metric of reportMetrics(report)) {
    const type = lines.indexOf(`# TYPE ${metric.name} gauge`);
    const sample = lines.findIndex((l) => l.startsWith(`${metric.name} `));
    assert(type >= 0 && type < sample, metric.name);
    if (metric.unit) assert(metric.name.endsWith(`_${metric.unit}`), metric.name);
    assert(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name), metric.name);
  }
});

Deno.test("openMetrics() leaves out what the run could not know, and says when pushing was off", () => {
  const report = {
    ...syntheticReport(3),
    substitution: null,
    transfer: null,
    pushOff: { reason: "no token", left: 3 },
  };
  const metrics = asGitLabReads(openMetrics(report));
  for (
    const unknown of ["attic_ci_paths_substituted", "attic_ci_paths_built", "attic_ci_upload_bytes"]
  ) {
    assert(!(unknown in metrics), unknown);
  }
  assertEquals(metrics.attic_ci_paths_not_pushed, "3");
  const fromCache = {
    ...syntheticReport(3),
    substitution: { substituted: 2, fromCache: null, built: 1, cacheKey: null },
  };
  assert(!("attic_ci_paths_substituted_from_cache" in asGitLabReads(openMetrics(fromCache))));
});
