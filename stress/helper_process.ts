/**
 * The helper as the user runs it: a separate `attic-ci` process (from
 * source), its resident memory sampled from `/proc` while it runs, its JSON
 * report read back when it ends.
 *
 * @module
 */

import type { Report } from "../src/report/report.ts";
import { v8FlagsArgument } from "../src/system/v8_flags.ts";
import { MAIN } from "../tests/helpers/cli.ts";
import { NIX_TEST_ENV, ROOT } from "../tests/helpers/nix.ts";

/** One reading of the helper's resident memory. */
export interface RssSample {
  /** Milliseconds since the helper started. */
  readonly atMs: number;
  readonly bytes: number;
}

/** How a helper run ended. */
export interface HelperRun {
  readonly code: number;
  readonly stderr: string;
  /** The `--report` file, when one was asked for and written. */
  readonly report: Report | null;
  /** Resident memory every {@linkcode SAMPLE_MS} ms while it ran. */
  readonly rss: readonly RssSample[];
  readonly seconds: number;
}

/** A helper process still running. */
export interface RunningHelper {
  readonly pid: number;
  /** Its resident memory now (null once it is gone). */
  rssNow(): Promise<number | null>;
  /** Sends it a signal (as a CI runner or a user would). */
  kill(signal: Deno.Signal): void;
  /** Waits for it to end; kills it after `limitMs` (a guard, not a timing check). */
  done(limitMs?: number): Promise<HelperRun>;
}

/** How often the resident memory is read. */
export const SAMPLE_MS = 250;

/** Options of {@linkcode startHelper}. */
export interface HelperOptions {
  /** Variables added to ours (and to Nix settings without network substituters). */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Where `--report` writes (read back by {@linkcode RunningHelper.done}). */
  readonly reportFile?: string;
}

/** Starts `attic-ci ARGS…`. */
export function startHelper(args: readonly string[], options: HelperOptions = {}): RunningHelper {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", v8FlagsArgument(), MAIN, ...args],
    env: { ...NIX_TEST_ENV, ...options.env },
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const rss: RssSample[] = [];
  const sampler = setInterval(async () => {
    const bytes = await residentBytes(child.pid);
    if (bytes !== null) rss.push({ atMs: Math.round(performance.now() - started), bytes });
  }, SAMPLE_MS);
  return {
    pid: child.pid,
    rssNow: () => residentBytes(child.pid),
    kill: (signal) => child.kill(signal),
    async done(limitMs = 30 * 60_000) {
      const guard = setTimeout(() => child.kill("SIGKILL"), limitMs);
      try {
        const status = await child.status;
        const seconds = (performance.now() - started) / 1000;
        return {
          code: status.code,
          stderr: await stderr,
          report: options.reportFile ? await readReportFile(options.reportFile) : null,
          rss,
          seconds,
        };
      } finally {
        clearTimeout(guard);
        clearInterval(sampler);
      }
    },
  };
}

/** Runs `attic-ci ARGS…` to the end. */
export function runHelper(
  args: readonly string[],
  options: HelperOptions = {},
): Promise<HelperRun> {
  return startHelper(args, options).done();
}

/** `VmRSS` of `pid`, or null when it is gone. */
export async function residentBytes(pid: number): Promise<number | null> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

async function readReportFile(file: string): Promise<Report | null> {
  try {
    return JSON.parse(await Deno.readTextFile(file)) as Report;
  } catch {
    return null;
  }
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number | null): string {
  return bytes === null ? "n/a" : (bytes / 2 ** 20).toFixed(1);
}
