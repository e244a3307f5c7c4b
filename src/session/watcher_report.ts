/**
 * `watcher-report.json`: the detached watcher's summary after its drain,
 * which `stop` (another process) turns into the report.
 *
 * @module
 */

import { z } from "zod";
import { BOOTSTRAP_MODES } from "../attic/bootstrap.ts";
import type { SessionSummary } from "../report/session_summary.ts";
import { TransferSchema } from "../report/saved_report.ts";
import type { StateFiles } from "../state/state_dir.ts";
import { readStateFile, writeStateFile } from "../state/state_file.ts";

/** The schema identifier of `watcher-report.json`. */
export const WATCHER_REPORT_SCHEMA = "attic-ci/watcher-report@1";

const count = z.number().int().nonnegative();

const SessionSummarySchema: z.ZodType<SessionSummary> = z.object({
  startedAt: z.number(),
  baselineSeconds: z.number().nonnegative().nullable().default(null),
  incremental: count,
  deferred: count,
  derivations: count,
  excluded: count,
  attribution: z.string().default("all"),
  foreign: count.default(0),
  unattributed: count.default(0),
  invalid: z.array(z.string()),
  failures: z.record(z.string(), z.string()),
  retries: count,
  pushInvocations: count,
  rescans: count,
  drainSeconds: z.number().nonnegative(),
  bootstrap: z.object({
    mode: z.enum(BOOTSTRAP_MODES),
    reason: z.string(),
    seconds: z.number(),
  }).nullable(),
  paths: z.array(z.object({
    path: z.string(),
    detectedAt: z.number(),
    queuedAt: z.number().nullable(),
    pushedAt: z.number().nullable(),
    phase: z.enum(["incremental", "final"]),
  })),
  pushCalls: z.array(z.object({
    startedAt: z.number(),
    seconds: z.number(),
    paths: count,
    error: z.string().nullable(),
  })),
  unrecorded: count,
  omitted: z.object({ paths: count, pushCalls: count }).default({ paths: 0, pushCalls: 0 }),
  transfer: TransferSchema.nullable().default(null),
});

const WatcherReportSchema = z.object({
  schema: z.literal(WATCHER_REPORT_SCHEMA),
  /** The watcher that wrote it (a report of another watcher is not this one's). */
  pid: z.number().int(),
  summary: SessionSummarySchema,
});

/** Writes the watcher's summary. */
export async function writeWatcherReport(
  files: StateFiles,
  pid: number,
  summary: SessionSummary,
): Promise<void> {
  await writeStateFile(files.watcherReport, { schema: WATCHER_REPORT_SCHEMA, pid, summary });
}

/** The summary written by watcher `pid`; null when it wrote none. Throws StateFileError for a foreign file. */
export async function readWatcherReport(
  files: StateFiles,
  pid: number,
): Promise<SessionSummary | null> {
  const report = await readStateFile(
    files.watcherReport,
    WatcherReportSchema,
    WATCHER_REPORT_SCHEMA,
  );
  return report !== null && report.pid === pid ? report.summary : null;
}
