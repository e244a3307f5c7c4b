/**
 * `session.json`: what a session leaves for the processes that finish it
 * (`stop`, `push` in after_script): when it started, who ran it, the options
 * it ran with (never a secret), and whether it already ended with its own
 * final push.
 *
 * @module
 */

import { z } from "zod";
import { readStateFile, writeStateFile } from "../state/state_file.ts";

/** The schema identifier of `session.json`. */
export const SESSION_SCHEMA = "attic-ci/session@1";

const SessionRecordSchema = z.object({
  schema: z.literal(SESSION_SCHEMA),
  startedAt: z.number(),
  pid: z.number().int(),
  /** The options `stop` and `push` reuse (flag name → value as typed). */
  options: z.record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())])),
  /** The name of the key the cache signs with: the report tells the paths it gave apart by it. */
  cacheKeyName: z.string().optional(),
  /** How the session told its paths from other jobs' (the final push reconciles only those). */
  attribution: z.string().optional(),
  /** Set by `exec`/`build` once their final push and report are done. */
  ended: z.object({ at: z.number(), pushed: z.number().int() }).optional(),
});

/** The content of `session.json`. */
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

/** Writes a new session record (0600). */
export async function writeSessionRecord(
  file: string,
  record: Omit<SessionRecord, "schema">,
): Promise<void> {
  await writeStateFile(file, { schema: SESSION_SCHEMA, ...record });
}

/** Reads the session record; null when there is none. Throws StateFileError for a foreign file. */
export async function readSessionRecord(file: string): Promise<SessionRecord | null> {
  return await readStateFile(file, SessionRecordSchema, SESSION_SCHEMA);
}

/** Marks the session as ended by its own final push, with how many paths it pushed. */
export async function markSessionEnded(
  file: string,
  ended: { at: number; pushed: number },
): Promise<void> {
  const record = await readSessionRecord(file);
  if (record !== null) await writeSessionRecord(file, { ...record, ended });
}
