/**
 * The ways of filling a cache that the benchmark compares, on the same graph
 * and the same kind of cache (docs/benchmarks.md, "Method", describes them):
 * (a) build only, (b) push at end, (c) post-build-hook, (d) attic-ci exec
 * with the attic CLI (`--attic-client cli`), (e) the same with attic
 * watch-store's batching, all through the attic CLI (its test double); (f)
 * attic-ci exec with its defaults (no attic on PATH: the built-in client)
 * against the Attic test server, and
 * (g) the same pushing every path that appears (`--attribution all`): f − g is
 * what telling this job's paths from other jobs' costs; and (h) the build
 * alone with its Nix reading the same cache as (f) does (the substituter, key
 * and netrc that `attic-ci use` prints): h − a is what reading any cache
 * costs a build (Nix asks it for every path before building it), f − h what
 * attic-ci adds to that.
 *
 * Every strategy runs the identical `nix-build` command line inside a small
 * shell wrapper that timestamps the moment the build itself starts and ends.
 *
 * @module
 */

import type { Report } from "../src/report/report.ts";
import { sh } from "../tests/helpers/nix.ts";
import type { CacheKind, CacheTarget } from "./cache_target.ts";

/** Identifiers of the strategies, in the order they were added. */
export type StrategyId = "a" | "b" | "c" | "d" | "e" | "f" | "g" | "h";

/** All strategy identifiers. */
export const STRATEGY_IDS: readonly StrategyId[] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/** Everything one run of a strategy needs. */
export interface RunContext {
  /** Private directory of this run (graph, logs, state, cache); also the cwd. */
  readonly runDir: string;
  /** The graph instance to build (attribute `all`). */
  readonly graphFile: string;
  /** Nix's `--max-jobs`. */
  readonly maxJobs: number;
  /** Where pushes go. */
  readonly target: CacheTarget;
  /** How to start the helper, before its subcommand (strategies d, e and f). */
  readonly helperArgv: readonly string[];
  /** Kill a run that takes longer than this. */
  readonly timeoutMs: number;
}

/** What a run of a strategy measured. */
export interface StrategyOutcome {
  readonly exitCode: number;
  /** Epoch ms when the strategy's process was spawned. */
  readonly startedAt: number;
  /** Epoch ms just before `nix-build` started, or null if it never ran. */
  readonly buildStartedAt: number | null;
  /** Epoch ms when `nix-build` exited, or null if it never ran. */
  readonly buildEndedAt: number | null;
  /** Epoch ms when the strategy's process exited (everything pushed). */
  readonly endedAt: number;
  /** The helper's `--report` (d, e and f). */
  readonly report: Report | null;
}

/** One strategy. */
export interface Strategy {
  /** Short name for tables, e.g. "post-build-hook". */
  readonly name: string;
  /** Whether it pushes at all (false only for the build alone). */
  readonly pushes: boolean;
  /** The stand-in it pushes to: the attic CLI double, or the Attic test server (the API). */
  readonly cache: CacheKind;
  run(context: RunContext): Promise<StrategyOutcome>;
}

/** The strategies by identifier. */
export const STRATEGIES: Readonly<Record<StrategyId, Strategy>> = {
  a: {
    name: "build only",
    pushes: false,
    cache: "attic-double",
    run: (context) => runShell(context, buildScript(context, [])),
  },
  b: {
    name: "push at end",
    pushes: true,
    cache: "attic-double",
    run: (context) =>
      runShell(
        context,
        `${buildScript(context, [])}\n` +
          `if [ "$rc" -eq 0 ]; then ${pushShell(context)} "$(/bin/readlink result)" || rc=$?; fi`,
      ),
  },
  c: {
    name: "post-build-hook",
    pushes: true,
    cache: "attic-double",
    run: async (context) => {
      const hook = `${context.runDir}/post-build-hook.sh`;
      await Deno.writeTextFile(
        hook,
        [
          "#!/bin/sh",
          "set -eu",
          "set -f # disable globbing",
          "export IFS=' '",
          "# Nix 2.8.0 leaves OUT_PATHS empty (NixOS/nix#6446): ask for DRV_PATH's outputs then.",
          'if [ -z "${OUT_PATHS:-}" ]; then',
          `  OUT_PATHS=$(nix-store --query --outputs "$DRV_PATH" | /usr/bin/tr '\\n' ' ')`,
          "fi",
          `exec ${pushShell(context)} $OUT_PATHS`,
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      return runShell(context, buildScript(context, ["--option", "post-build-hook", hook]));
    },
  },
  d: {
    name: "attic-ci, attic CLI",
    pushes: true,
    cache: "attic-double",
    run: (context) => runHelper(context, []),
  },
  e: {
    name: "attic-ci 2s/10s",
    pushes: true,
    cache: "attic-double",
    run: (context) => runHelper(context, ["--batch-idle", "2", "--batch-max-wait", "10"]),
  },
  f: {
    name: "attic-ci",
    pushes: true,
    cache: "attic-server",
    // The defaults: `--attic-client auto` with no attic on PATH is the built-in client.
    run: (context) => runHelper(context, []),
  },
  g: {
    name: "attic-ci, every path",
    pushes: true,
    cache: "attic-server",
    // (f) without telling this job's paths from others': what attribution costs is f - g.
    run: (context) => runHelper(context, ["--attribution", "all"]),
  },
  h: {
    name: "build only, pulling",
    pushes: false,
    cache: "attic-server",
    run: async (context) => {
      // Set up before the clock runs, as a job's earlier line would: only the build is timed.
      const env = await pullEnv(context);
      const target = { ...context.target, env: { ...context.target.env, ...env } };
      return runShell({ ...context, target }, buildScript(context, []));
    },
  },
};

/**
 * The variables that make a job's Nix read the target's cache, as `attic-ci
 * use` prints them (`NIX_CONFIG` with the substituter, key and netrc).
 */
async function pullEnv(context: RunContext): Promise<Record<string, string>> {
  const use = [...context.helperArgv, "use", ...context.target.helperArgs, "--state-dir"]
    .map(shellQuote).join(" ");
  const printed = await sh("/bin/sh", [
    "-c",
    `eval "$(${use} "$1")" && printf '%s' "$NIX_CONFIG"`,
    "sh",
    `${context.runDir}/pull-state`,
  ], { cwd: context.runDir, env: { ...context.target.env } });
  if (printed.code !== 0 || !printed.stdout.includes("extra-substituters")) {
    throw new Error(
      `Cannot set up the pulling baseline as attic-ci use gave no substituter: ${printed.stderr}`,
    );
  }
  return { NIX_CONFIG: printed.stdout };
}

/** The target's `attic push` command line; only the attic CLI double has one. */
function pushShell(context: RunContext): string {
  if (context.target.pushShell === null) {
    throw new Error(
      `Cannot push with the attic CLI to a cache of kind ${context.target.kind}: ` +
        "only the built-in client talks to the Attic test server",
    );
  }
  return context.target.pushShell;
}

/** Parse a comma-separated list such as "a,b,d". */
export function parseStrategyList(text: string): StrategyId[] {
  const ids = text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  for (const id of ids) {
    if (!(STRATEGY_IDS as readonly string[]).includes(id)) {
      throw new RangeError(
        `Cannot select strategy "${id}" as it is unknown: choose from ${STRATEGY_IDS.join(",")}`,
      );
    }
  }
  return ids as StrategyId[];
}

/** The helper's report schema this benchmark reads (checked by the compiler against src/). */
const REPORT_SCHEMA: Report["schema"] = "attic-ci/report@1";

/**
 * Read the helper's `--report` file: null when the helper wrote none; throws
 * when it is not a report of the schema this benchmark reads.
 *
 * @example
 * ```ts
 * const report = await readReport("/tmp/run/report.json");
 * report?.pushInvocations;
 * ```
 */
export async function readReport(file: string): Promise<Report | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const report = JSON.parse(text) as Partial<Report> | null;
  if (report?.schema !== REPORT_SCHEMA) {
    throw new Error(
      `Cannot read ${file} as the helper's report: expected schema ${REPORT_SCHEMA}, ` +
        `current value is ${JSON.stringify(report?.schema)}`,
    );
  }
  return report as Report;
}

/** The shell lines that build the graph and timestamp its start and end; sets `$rc`. */
function buildScript(context: RunContext, extra: readonly string[]): string {
  const args = [
    "nix-build",
    context.graphFile,
    "-A",
    "all",
    "--max-jobs",
    String(context.maxJobs),
    "--out-link",
    "result",
    ...extra,
  ].map(shellQuote).join(" ");
  return `/bin/date +%s%3N > build-started\n${args}\nrc=$?\n/bin/date +%s%3N > build-ended`;
}

function runShell(context: RunContext, script: string): Promise<StrategyOutcome> {
  return runTimed(["/bin/sh", "-c", `${script}\nexit "$rc"`], context, null);
}

function runHelper(context: RunContext, options: readonly string[]): Promise<StrategyOutcome> {
  const report = `${context.runDir}/report.json`;
  return runTimed(
    [
      ...context.helperArgv,
      "exec",
      ...context.target.helperArgs,
      "--state-dir",
      `${context.runDir}/state`,
      "--report",
      report,
      ...options,
      "--",
      "/bin/sh",
      "-c",
      `${buildScript(context, [])}\nexit "$rc"`,
    ],
    context,
    report,
  );
}

/** Run `argv` in the run's directory, its output kept in `run.log` for post-mortems. */
async function runTimed(
  argv: readonly string[],
  context: RunContext,
  reportFile: string | null,
): Promise<StrategyOutcome> {
  const [program, ...args] = argv as [string, ...string[]];
  const startedAt = Date.now();
  const finished = await sh(program, args, {
    cwd: context.runDir,
    env: { ...context.target.env },
    signal: AbortSignal.timeout(context.timeoutMs),
  });
  const endedAt = Date.now();
  await Deno.writeTextFile(
    `${context.runDir}/run.log`,
    `$ ${argv.join(" ")}\n${finished.stdout}${finished.stderr}`,
  );
  return {
    exitCode: finished.code,
    startedAt,
    buildStartedAt: await readMark(`${context.runDir}/build-started`),
    buildEndedAt: await readMark(`${context.runDir}/build-ended`),
    endedAt,
    report: reportFile === null ? null : await readReport(reportFile),
  };
}

async function readMark(file: string): Promise<number | null> {
  try {
    const value = Number((await Deno.readTextFile(file)).trim());
    return Number.isFinite(value) && value > 0 ? value : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Quote a word for /bin/sh. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
