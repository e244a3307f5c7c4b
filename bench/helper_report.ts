/**
 * The part of the helper's JSON report (`--report FILE`, schema
 * `attic-ci/report@1`) that the benchmark reads, parsed defensively: a field
 * the helper does not (yet) write becomes `null` instead of a crash.
 *
 * @module
 */

/** One store path as the helper saw it (epoch ms). */
export interface ReportedPath {
  readonly path: string;
  readonly detectedAt: number | null;
  readonly queuedAt: number | null;
  readonly pushedAt: number | null;
  readonly phase: string | null;
}

/** The fields of the report the benchmark uses. */
export interface HelperReport {
  readonly schema: string | null;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly exitCode: number | null;
  readonly incremental: number | null;
  readonly finalPush: number | null;
  readonly pushed: number | null;
  readonly failed: readonly string[];
  readonly retries: number | null;
  readonly pushInvocations: number | null;
  readonly drainSeconds: number | null;
  readonly peakRssBytes: number | null;
  readonly cpuSeconds: number | null;
  readonly paths: readonly ReportedPath[];
}

/**
 * Parse the report's JSON text.
 *
 * @example
 * ```ts
 * const report = parseHelperReport(await Deno.readTextFile("report.json"));
 * report.pushInvocations;
 * ```
 */
export function parseHelperReport(text: string): HelperReport {
  const raw: unknown = JSON.parse(text);
  const root = record(raw);
  const resources = record(root.resources);
  const paths = Array.isArray(root.paths) ? root.paths : [];
  return {
    schema: str(root.schema),
    startedAt: num(root.startedAt),
    endedAt: num(root.endedAt),
    exitCode: num(root.exitCode),
    incremental: count(root.incremental),
    finalPush: count(root.finalPush),
    pushed: count(root.pushed),
    failed: Array.isArray(root.failed) ? root.failed.filter((f) => typeof f === "string") : [],
    retries: count(root.retries),
    pushInvocations: count(root.pushInvocations),
    drainSeconds: num(root.drainSeconds),
    peakRssBytes: num(resources.peakRssBytes),
    cpuSeconds: num(resources.cpuSeconds),
    paths: paths.map((entry) => {
      const p = record(entry);
      return {
        path: str(p.path) ?? "",
        detectedAt: num(p.detectedAt),
        queuedAt: num(p.queuedAt),
        pushedAt: num(p.pushedAt),
        phase: str(p.phase),
      };
    }).filter((p) => p.path !== ""),
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** A count may be written as a number or as the list of paths it counts. */
function count(value: unknown): number | null {
  if (Array.isArray(value)) return value.length;
  return num(value);
}
