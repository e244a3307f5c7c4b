/**
 * A JSON report read back from a file (`attic-ci render`): checked against
 * what the picture reads, with the fields an older 0.1 report may lack
 * (`phases`, `omitted`, `transfer`, …) filled in as unknown.
 *
 * @module
 */

import { z } from "zod";
import { REPORT_SCHEMA } from "./report.ts";
import type { PictureReport } from "./timeline_picture.ts";

const count = z.number().int().nonnegative();
const time = z.number().finite();
const at = time.nullable().default(null);

/**
 * What the built-in client moved (the report's and the watcher's summary
 * `transfer`): one schema wherever a file holds it.
 */
export const TransferSchema = z.object({
  uploaded: count,
  uploadedBytes: count,
  alreadyCached: count,
  fromUpstream: count,
  requestRetries: count,
});

const SavedReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  command: z.string(),
  backend: z.string(),
  target: z.string(),
  startedAt: time,
  endedAt: time,
  exitCode: z.number().int().nullable(),
  incremental: count,
  finalPush: count,
  pushed: count,
  substitution: z.object({
    substituted: count,
    fromCache: count.nullable(),
    built: count,
    cacheKey: z.string().nullable(),
  }).nullable().default(null),
  pushOff: z.object({ reason: z.string(), left: count }).nullable().default(null),
  attribution: z.object({ mode: z.string(), foreign: count, unattributed: count })
    .default({ mode: "all", foreign: 0, unattributed: 0 }),
  failed: z.array(z.string()),
  failures: z.record(z.string(), z.string()).default({}),
  retries: count,
  drainSeconds: z.number().nonnegative(),
  paths: z.array(z.object({
    path: z.string(),
    detectedAt: time,
    queuedAt: time.nullable(),
    pushedAt: time.nullable(),
    phase: z.enum(["incremental", "final"]),
  })),
  omitted: z.object({ paths: count, pushCalls: count }).default({ paths: 0, pushCalls: 0 }),
  transfer: TransferSchema.nullable().default(null),
  phases: z.object({
    buildEndedAt: at,
    drainStartedAt: at,
    drainEndedAt: at,
    finalPushStartedAt: at,
    finalPushEndedAt: at,
  }).nullable().default(null),
});

/** A saved report, as far as the picture, the metrics and the dotenv read it. */
export type SavedReport = PictureReport & { readonly pushed: number };

/** Why a text is not a report, in one line naming the first field at fault. */
export class SavedReportError extends Error {
  /** @param problem what is wrong */
  constructor(problem: string) {
    super(problem);
    this.name = "SavedReportError";
  }
}

/**
 * Reads a JSON report written by `--report` (or `--artifacts`). Throws
 * {@linkcode SavedReportError} for text that is not JSON, or not a report of
 * schema `attic-ci/report@1`.
 *
 * @example
 * ```ts
 * const report = readSavedReport(await Deno.readTextFile("attic-ci/report.json"));
 * ```
 */
export function readSavedReport(text: string): SavedReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SavedReportError(`is not JSON (${(error as Error).message})`);
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (schema !== REPORT_SCHEMA) {
    throw new SavedReportError(
      `is not an attic-ci report: its schema is ${JSON.stringify(schema ?? null)}, ` +
        `not "${REPORT_SCHEMA}"`,
    );
  }
  const result = SavedReportSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new SavedReportError(
      `is not a complete attic-ci report: ${issue.path.join(".") || "its top level"}: ` +
        issue.message,
    );
  }
  return result.data;
}
