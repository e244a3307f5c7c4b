/**
 * The five ways of filling a cache that the benchmark compares, on the same
 * graph and the same kind of cache:
 *
 * - (a) the build alone (the floor: nothing cached);
 * - (b) the build, then one push of the result's closure when it succeeds;
 * - (c) Nix's documented `post-build-hook`, pushing each derivation's outputs
 *   synchronously while Nix's build loop waits;
 * - (d) `attic-ci exec` with default settings;
 * - (e) `attic-ci exec` with attic watch-store's batching (2 s idle, 10 s max).
 *
 * Every strategy runs the identical `nix-build` command line inside a small
 * shell wrapper that timestamps the moment the build itself ends.
 *
 * @module
 */

import type { CacheTarget } from "./cache_target.ts";
import { type HelperReport, parseHelperReport } from "./helper_report.ts";
import { runLogged } from "./process.ts";

/** Identifiers of the strategies, in the order of the issue. */
export type StrategyId = "a" | "b" | "c" | "d" | "e";

/** All strategy identifiers. */
export const STRATEGY_IDS: readonly StrategyId[] = ["a", "b", "c", "d", "e"];

/** How to start the helper. */
export interface HelperCommand {
  /** The program and arguments before the subcommand, e.g. `deno run -A src/main.ts`. */
  readonly argv: readonly string[];
  /** Options added to every `exec` (e.g. a fast-failing bootstrap installable). */
  readonly extraArgs: readonly string[];
}

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
  /** How to start the helper (strategies d and e). */
  readonly helper: HelperCommand;
  /** Path of `nix-build`. */
  readonly nixBuild: string;
  /** Path of `nix-store`. */
  readonly nixStore: string;
  /** Environment shared by every strategy (on top of the target's). */
  readonly env: Readonly<Record<string, string>>;
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
  /** The helper's report (d and e). */
  readonly report: HelperReport | null;
}

/** One strategy. */
export interface Strategy {
  readonly id: StrategyId;
  /** Short name for tables, e.g. "post-build-hook". */
  readonly name: string;
  /** Whether it pushes at all (false only for the build alone). */
  readonly pushes: boolean;
  /** What it does, for the docs. */
  readonly description: string;
  run(context: RunContext): Promise<StrategyOutcome>;
}

/** The strategies by identifier. */
export const STRATEGIES: Readonly<Record<StrategyId, Strategy>> = {
  a: {
    id: "a",
    name: "build only",
    pushes: false,
    description: "`nix-build` alone; nothing is cached. The reference for every ratio.",
    run: (context) => runShell(context, buildScript(context, [])),
  },
  b: {
    id: "b",
    name: "push at end",
    pushes: true,
    description: "`nix-build`, then, if it succeeded, one push of the result's closure.",
    run: (context) =>
      runShell(
        context,
        `${buildScript(context, [])}\n` +
          `if [ "$rc" -eq 0 ]; then ${context.target.pushShell} "$(/bin/readlink result)" || rc=$?; fi`,
      ),
  },
  c: {
    id: "c",
    name: "post-build-hook",
    pushes: true,
    description: "`nix-build --option post-build-hook HOOK`; the hook (as in the Nix manual) " +
      "pushes `$OUT_PATHS` synchronously after every derivation (on Nix 2.8.0, whose " +
      "`OUT_PATHS` is empty, NixOS/nix#6446, it asks `nix-store --query --outputs $DRV_PATH`).",
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
          `  OUT_PATHS=$(${context.nixStore} --query --outputs "$DRV_PATH" | /usr/bin/tr '\\n' ' ')`,
          "fi",
          `exec ${context.target.pushShell} $OUT_PATHS`,
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      return runShell(context, buildScript(context, ["--option", "post-build-hook", hook]));
    },
  },
  d: {
    id: "d",
    name: "attic-ci",
    pushes: true,
    description: "`attic-ci exec -- nix-build ...` with default settings.",
    run: (context) => runHelper(context, []),
  },
  e: {
    id: "e",
    name: "attic-ci 2s/10s",
    pushes: true,
    description: "`attic-ci exec --batch-idle 2 --batch-max-wait 10 -- nix-build ...`: " +
      "attic watch-store's batching.",
    run: (context) => runHelper(context, ["--batch-idle", "2", "--batch-max-wait", "10"]),
  },
};

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

/** The shell lines that build the graph and timestamp its start and end; sets `$rc`. */
function buildScript(context: RunContext, extra: readonly string[]): string {
  const args = [
    context.nixBuild,
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

async function runShell(context: RunContext, script: string): Promise<StrategyOutcome> {
  const finished = await runLogged(["/bin/sh", "-c", `${script}\nexit "$rc"`], {
    cwd: context.runDir,
    env: { ...context.env, ...context.target.env },
    log: `${context.runDir}/run.log`,
    timeoutMs: context.timeoutMs,
  });
  return {
    exitCode: finished.code,
    startedAt: finished.startedAt,
    buildStartedAt: await readMark(`${context.runDir}/build-started`),
    buildEndedAt: await readMark(`${context.runDir}/build-ended`),
    endedAt: finished.endedAt,
    report: null,
  };
}

async function runHelper(
  context: RunContext,
  options: readonly string[],
): Promise<StrategyOutcome> {
  const report = `${context.runDir}/report.json`;
  const argv = [
    ...context.helper.argv,
    "exec",
    ...context.target.helperArgs,
    "--state-dir",
    `${context.runDir}/state`,
    "--report",
    report,
    ...context.helper.extraArgs,
    ...options,
    "--",
    "/bin/sh",
    "-c",
    `${buildScript(context, [])}\nexit "$rc"`,
  ];
  const finished = await runLogged(argv, {
    cwd: context.runDir,
    env: { ...context.env, ...context.target.env },
    log: `${context.runDir}/run.log`,
    timeoutMs: context.timeoutMs,
  });
  let parsed: HelperReport | null = null;
  try {
    parsed = parseHelperReport(await Deno.readTextFile(report));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound || error instanceof SyntaxError)) throw error;
  }
  return {
    exitCode: finished.code,
    startedAt: finished.startedAt,
    buildStartedAt: await readMark(`${context.runDir}/build-started`),
    buildEndedAt: await readMark(`${context.runDir}/build-ended`),
    endedAt: finished.endedAt,
    report: parsed,
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
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
