/**
 * Runs the real CLI as a separate process, like a user or a CI job would.
 *
 * @module
 */

import { getPriority } from "node:os";
import { restoreOwnPriority } from "../../src/system/process_priority.ts";
import { run } from "../../src/dispatch.ts";
import { v8FlagsArgument } from "../../src/system/v8_flags.ts";
import { testContext } from "./context.ts";
import { NIX_TEST_ENV, ROOT } from "./nix.ts";

/** The CLI's entry point. */
export const MAIN = `${ROOT}/src/main.ts`;

/** What a CLI run left behind. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `attic-ci ARGS…` to completion. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; clearEnv?: boolean } = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", v8FlagsArgument(), MAIN, ...args],
    env: { ...NIX_TEST_ENV, ...options.env },
    ...(options.clearEnv ? { clearEnv: true } : {}),
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/**
 * Runs `attic-ci ARGS…` in this process (the dispatcher with a real system
 * whose environment is this process's plus `env`): the exit code, stdout and
 * the log — without the cost of starting a process.
 */
export async function runInProcess(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; clearEnv?: boolean } = {},
): Promise<CliResult> {
  const t = testContext({
    cwd: options.cwd ?? ROOT,
    ...(options.env ? { env: options.env } : {}),
    ...(options.clearEnv ? { clearEnv: true } : {}),
  });
  // The helper lowers its own priority once the build runs (--nice): here that is the test
  // runner's, which is put back where the system allows, so later tests start at their own.
  const priority = getPriority(0);
  try {
    const code = await run(args, t.ctx);
    return { code, stdout: t.stdout(), stderr: t.log() };
  } finally {
    try {
      restoreOwnPriority(priority);
    } catch { /* unprivileged: the runner stays lowered */ }
  }
}

/** The report written with `--report FILE`. */
export async function readReport(file: string): Promise<
  Record<string, unknown> & {
    incremental: number;
    finalPush: number;
    pushed: number;
    failed: string[];
    retries: number;
    pushInvocations: number;
    exitCode: number | null;
    skipped: { invalid: number; derivations: number; excluded: number };
    finalPushDetail: { outLinks: number; reconciled: number; given: number };
    paths: { path: string; pushedAt: number | null; phase: string }[];
  }
> {
  return JSON.parse(await Deno.readTextFile(file));
}

/**
 * The engine flags of a test that pushes with nix-copy into `<dir>/cache`,
 * with its state in `<dir>/state` or `stateDir` (and, when asked, its report
 * in `<dir>/report.json`).
 */
export function nixCopyArgs(
  dir: string,
  options: { report?: boolean; stateDir?: string } = {},
): string[] {
  return [
    "--backend",
    "nix-copy",
    "--to",
    `file://${dir}/cache`,
    "--state-dir",
    options.stateDir ?? `${dir}/state`,
    ...(options.report ? ["--report", `${dir}/report.json`] : []),
  ];
}
