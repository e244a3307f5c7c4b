/**
 * The private state directory: what a session records so that a later process
 * (the final push, `stop`, a new helper after a crash) knows what is missing.
 * Mode 0700, files 0600: it may hold the token file.
 *
 * @module
 */

import { EnvironmentError } from "../errors.ts";

/** Where each piece of state lives inside the state directory. */
export interface StateFiles {
  readonly dir: string;
  /** Store entry names present when the session started, one per line. */
  readonly baseline: string;
  /** Store paths pushed so far, one per line, appended as it happens. */
  readonly ledger: string;
  /** Store paths attributed to this job, one per line, appended as it happens. */
  readonly owned: string;
  /** The session's metadata: start time, pid and its options (no secret). */
  readonly session: string;
  /** The detached watcher's process id. */
  readonly pidfile: string;
  /** The detached watcher's log. */
  readonly watcherLog: string;
  /** The watcher's live status, rewritten as it works. */
  readonly status: string;
  /** The watcher's report after its drain. */
  readonly watcherReport: string;
  /** The attic token, copied from its variable (0600). */
  readonly token: string;
  /** The job's netrc for Nix: the token of a private cache (0600). */
  readonly netrc: string;
  /** `XDG_CONFIG_HOME` for attic children; the config is `attic/config.toml` below it. */
  readonly atticConfigHome: string;
  /** Out-link of the bootstrapped attic client. */
  readonly atticClientLink: string;
  /** Which process's session owns the directory now. */
  readonly lock: string;
}

/** The file layout of a state directory. */
export function stateFiles(dir: string): StateFiles {
  return {
    dir,
    baseline: `${dir}/baseline.txt`,
    ledger: `${dir}/pushed.txt`,
    owned: `${dir}/owned.txt`,
    session: `${dir}/session.json`,
    pidfile: `${dir}/watcher.pid`,
    watcherLog: `${dir}/watcher.log`,
    status: `${dir}/status.json`,
    watcherReport: `${dir}/watcher-report.json`,
    token: `${dir}/token`,
    netrc: `${dir}/netrc`,
    atticConfigHome: `${dir}/attic-config`,
    atticClientLink: `${dir}/attic-client`,
    lock: `${dir}/session.lock`,
  };
}

/**
 * The default state directory: per job in GitLab (so concurrent jobs on one
 * shell runner do not share it), per user elsewhere. It sits in the temporary
 * directory because that survives from `script` into `after_script` on every
 * executor and is never part of artifacts or caches.
 */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>>): string {
  const tmp = (env.TMPDIR ?? "/tmp").replace(/\/+$/, "") || "/tmp";
  const uid = Deno.uid() ?? "user";
  return env.CI_JOB_ID ? `${tmp}/attic-ci-${uid}-job-${env.CI_JOB_ID}` : `${tmp}/attic-ci-${uid}`;
}

/**
 * Creates the state directory if needed and makes sure it is private: a real
 * directory (not a symbolic link someone planted in its place), ours, 0700.
 * Throws {@linkcode EnvironmentError} saying why when it cannot be.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const refuse = (why: string, cause?: unknown) =>
    new EnvironmentError(
      `cannot use ${dir} as a private state directory: ${why}`,
      "point --state-dir (ATTIC_CI_STATE_DIR) at a directory you own, or remove this one",
      cause === undefined ? undefined : { cause },
    );
  const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
  try {
    await Deno.mkdir(parent, { recursive: true });
    await Deno.mkdir(dir, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw refuse(reason(error), error);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    throw refuse(reason(error), error);
  }
  if (info.isSymlink) throw refuse("it is a symbolic link, which anyone could have planted");
  if (!info.isDirectory) throw refuse("it is not a directory");
  const uid = Deno.uid();
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw refuse(`it belongs to uid ${info.uid}, not to us (uid ${uid})`);
  }
  try {
    if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(dir, 0o700);
    // Writable: a read-only mount or a full disk is found now, not in the middle of the build.
    await writePrivateFile(`${dir}/.writable`, "");
  } catch (error) {
    throw refuse(reason(error), error);
  }
}

/**
 * Removes every file of the state directory that holds the token (the token
 * file, the attic configuration, the job's netrc): when the job ends, no file
 * with the token is left for a later job on the same runner. Returns the ones
 * removed; a file that cannot be removed is named in the error.
 */
export async function removeSecrets(files: StateFiles): Promise<string[]> {
  const removed: string[] = [];
  for (const path of [files.token, files.netrc, files.atticConfigHome]) {
    try {
      await Deno.remove(path, { recursive: true });
      removed.push(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new Error(`cannot remove ${path}: ${reason(error)}`, { cause: error });
      }
    }
  }
  return removed;
}

/** A file-system error as a short reason, e.g. "no space left on device". */
export function reason(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  const message = error instanceof Error ? error.message : String(error);
  // "No space left on device (os error 28): writefile '/x'" → "no space left on device"
  return message.replace(/ \(os error \d+\).*$/, "").toLowerCase();
}

/** Writes a file that only we may read (0600), replacing it atomically. */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  await writePrivateLines(path, [data], { newlines: false });
}

/**
 * Writes `lines` (each followed by a newline, unless `newlines` is false) to
 * `path` like {@linkcode writePrivateFile}, a few thousand lines at a time: the
 * baseline of a large store is megabytes, and joining it into one string
 * first would double the helper's peak memory for it.
 */
export async function writePrivateLines(
  path: string,
  lines: Iterable<string>,
  options: { newlines?: boolean } = {},
): Promise<void> {
  const end = options.newlines === false ? "" : "\n";
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  const encoder = new TextEncoder();
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      let chunk: string[] = [];
      const flush = async () => {
        const bytes = encoder.encode(chunk.join(end) + end);
        for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
        chunk = [];
      };
      for (const line of lines) {
        chunk.push(line);
        if (chunk.length === LINES_PER_WRITE) await flush();
      }
      if (chunk.length > 0) await flush();
    } finally {
      file.close();
    }
    // The mode given at creation is masked by the umask; this one is not.
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

const LINES_PER_WRITE = 4096;

/** Reads a text file, or null when it does not exist. */
export async function readOptional(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
