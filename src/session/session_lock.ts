/**
 * `session.lock`: one live session per state directory. Two sessions in one
 * directory would overwrite each other's baseline and ledger; the lock names
 * the process that owns it, and a lock whose process is gone (killed, the
 * machine restarted) is taken over.
 *
 * @module
 */

import { z } from "zod";
import { ConfigError } from "../errors.ts";
import type { StateFiles } from "../state/state_dir.ts";
import { parseStateText } from "../state/state_file.ts";
import type { System } from "../system/system.ts";

/** The schema identifier of `session.lock`. */
export const LOCK_SCHEMA = "attic-ci/lock@1";

const SessionLockSchema = z.object({
  schema: z.literal(LOCK_SCHEMA),
  pid: z.number().int().positive(),
  command: z.string(),
  startedAt: z.number(),
});

/** Who holds a lock. */
export type LockHolder = Omit<z.infer<typeof SessionLockSchema>, "schema">;

/** A held lock. */
export interface SessionLock {
  /** Gives the directory up (removes the lock if it is still ours). */
  release(): Promise<void>;
}

/** The outcome of {@linkcode lockSession}. */
export type LockAttempt =
  | { readonly held: true; readonly lock: SessionLock }
  | { readonly held: false; readonly holder: LockHolder };

/**
 * Takes the state directory for this process's `command`, unless a live
 * process holds it. A stale lock (its process is gone) is taken over.
 */
export async function lockSession(
  system: System,
  files: StateFiles,
  command: string,
): Promise<LockAttempt> {
  const mine: LockHolder = { pid: system.pid, command, startedAt: system.clock.now() };
  const text = JSON.stringify({ schema: LOCK_SCHEMA, ...mine }) + "\n";
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(files.lock, text, { createNew: true, mode: 0o600 });
      return { held: true, lock: ownLock(files, system.pid) };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = await lockHolder(files);
    if (
      holder !== null && holder.pid !== system.pid &&
      (await isAtticCiProcess(system, holder.pid, [holder.command]))
    ) {
      return { held: false, holder };
    }
    // Stale (or ours from an earlier run of this pid): take it over.
    await Deno.remove(files.lock).catch(() => {});
  }
  throw new Error(`cannot take ${files.lock}: it keeps coming back`);
}

/** Takes the lock, or throws ConfigError naming the live session that holds it. */
export async function lockSessionOrRefuse(
  system: System,
  files: StateFiles,
  command: string,
): Promise<SessionLock> {
  const attempt = await lockSession(system, files, command);
  if (attempt.held) return attempt.lock;
  throw new ConfigError(
    "--state-dir",
    `another attic-ci session (${attempt.holder.command}, pid ${attempt.holder.pid}) uses ${files.dir}`,
    "wait for it to end, or give this one another --state-dir",
  );
}

/** The holder written in the lock file, or null when there is none. Throws StateFileError. */
export async function lockHolder(files: StateFiles): Promise<LockHolder | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(files.lock);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const { schema: _, ...holder } = parseStateText(text, SessionLockSchema, LOCK_SCHEMA, files.lock);
  return holder;
}

/**
 * Whether `pid` is a live attic-ci process running one of `commands`. On
 * Linux it reads the process's command line, so a recycled pid is not
 * mistaken for ours and a zombie counts as gone; elsewhere it asks the kernel
 * whether the pid exists.
 */
export async function isAtticCiProcess(
  system: System,
  pid: number,
  commands: readonly string[],
): Promise<boolean> {
  try {
    const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
    return argv.some((arg) => commands.includes(arg));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && (await procAvailable())) return false;
  }
  // SIGCONT does nothing to a running process (signal 0 is not in Deno's list).
  return system.kill(pid, "SIGCONT");
}

async function procAvailable(): Promise<boolean> {
  try {
    await Deno.stat("/proc/self");
    return true;
  } catch {
    return false;
  }
}

function ownLock(files: StateFiles, pid: number): SessionLock {
  return {
    async release() {
      const holder = await lockHolder(files).catch(() => null);
      if (holder?.pid === pid) await Deno.remove(files.lock).catch(() => {});
    },
  };
}
