/**
 * `session.json`: what a session leaves for the processes that finish it
 * (`stop`, `push` in after_script): when it started, who ran it, the options
 * it ran with (never a secret), and whether it already ended with its own
 * final push. Validated on read: a file from elsewhere is never misread.
 *
 * @module
 */

import { z } from "zod";
import { readOptional, writePrivateFile } from "./state_dir.ts";

const SessionRecordSchema = z.object({
  startedAt: z.number(),
  pid: z.number().int(),
  options: z.record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())])),
  /** Set by `exec`/`build` once their final push and report are done. */
  ended: z.object({ at: z.number(), pushed: z.number().int() }).optional(),
});

/** The content of `session.json`. */
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

/** Writes a new session record (0600). */
export async function writeSessionRecord(file: string, record: SessionRecord): Promise<void> {
  await writePrivateFile(file, JSON.stringify(record) + "\n");
}

/**
 * Reads the session record; null when there is none or it is not one of ours
 * (unreadable JSON or another shape), so a stray file never steers a push.
 */
export async function readSessionRecord(file: string): Promise<SessionRecord | null> {
  const text = await readOptional(file).catch(() => null);
  if (text === null) return null;
  try {
    const parsed = SessionRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Marks the session as ended by its own final push, with how many paths it pushed. */
export async function markSessionEnded(
  file: string,
  ended: { at: number; pushed: number },
): Promise<void> {
  const record = await readSessionRecord(file);
  if (record !== null) await writeSessionRecord(file, { ...record, ended });
}
