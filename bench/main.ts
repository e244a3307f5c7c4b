/**
 * `deno task bench`: compares attic-ci (through the attic CLI and with its
 * built-in client) with pushing at the end of the build and with Nix's
 * post-build-hook, on generated derivation graphs whose builders sleep or
 * compute, and prints (and with `--full`, documents) the results. See
 * docs/benchmarks.md.
 *
 * @module
 */

import { v8FlagsArgument } from "../src/system/v8_flags.ts";
import { ROOT, sh } from "../tests/helpers/nix.ts";
import { type ServerLaunch, startServerTarget } from "./cache_target.ts";
import { calibrateCpuLoop } from "./cpu_work.ts";
import { checkGoals, goalTable } from "./goals.ts";
import { parseResults } from "./load_results.ts";
import { describeMachine } from "./machine.ts";
import { describeNetwork, NO_NETWORK } from "./network.ts";
import { type BenchOptions, HELP, MAX_JOBS, parseBenchArgs } from "./options.ts";
import { clientTable, failureTable, timingTable, toText } from "./render_table.ts";
import { type BenchResults, headline, type ScenarioEntry, scenarioTitle } from "./results.ts";
import { STRATEGIES } from "./strategies.ts";
import { runScenario } from "./suite.ts";
import { summarizeScenario } from "./summary.ts";
import { writeDocs } from "./write_docs.ts";

/** Run the benchmark with `argv`; returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  const options = parsed.options;
  let results;
  try {
    results = options.renderFrom === null
      ? await measure(options)
      : await reload(options.renderFrom);
  } catch (error) {
    if (options.renderFrom === null) throw error;
    console.error(`bench: ${(error as Error).message}`);
    return 1;
  }
  if (results === null) return 1;
  return await publish(results, options);
}

/** Run every scenario; null when the helper or its warm-up fails. */
async function measure(options: BenchOptions): Promise<BenchResults | null> {
  const helperArgv = [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    v8FlagsArgument(),
    `${ROOT}/src/main.ts`,
  ];
  const atticDouble = `${ROOT}/tests/attic_double/attic`;
  const server: ServerLaunch = {
    denoArgv: [Deno.execPath(), "run", "-A", "--quiet"],
    module: `${ROOT}/bench/attic_server_child.ts`,
  };
  // Warm up the helper and the stand-ins (Deno's caches), untimed.
  for (const [program, ...args] of [[...helperArgv, "--version"], [atticDouble, "--version"]]) {
    const warm = await sh(program!, args);
    if (warm.code !== 0) {
      console.error(`bench: ${program} ${args.join(" ")} failed: ${warm.stderr.trim()}`);
      return null;
    }
  }
  const workDir = await Deno.makeTempDir({ prefix: "attic-ci-bench-" });
  const needsServer = options.scenarios.some((s) =>
    s.strategies.some((id) => STRATEGIES[id].cache === "attic-server")
  );
  if (needsServer) {
    try {
      await Deno.mkdir(`${workDir}/warm-up`);
      await (await startServerTarget(`${workDir}/warm-up`, NO_NETWORK, server)).finish();
      await Deno.remove(`${workDir}/warm-up`, { recursive: true });
    } catch (error) {
      console.error(`bench: ${(error as Error).message}`);
      return null;
    }
  }
  const startedAt = new Date().toISOString();
  const machine = await describeMachine(ROOT);
  console.error(`bench: preset ${options.preset}, ${machine.cores} cores, ${machine.nix}`);
  let loopsPerSecond: number | null = null;
  if (options.scenarios.some((s) => s.builders === "cpu")) {
    loopsPerSecond = await calibrateCpuLoop();
    console.error(
      `bench: computing builders: ${loopsPerSecond} iterations of the shell loop per CPU second`,
    );
  }
  const scenarios: ScenarioEntry[] = [];
  for (const scenario of options.scenarios) {
    console.error(
      `bench: scenario ${scenario.id}: ${scenario.shape.nodes} derivations ` +
        `(builders ${scenario.builders === "cpu" ? "compute" : "sleep"}), ` +
        `${describeNetwork(scenario.network)}, ${scenario.rounds} round(s) of ${
          scenario.strategies.join(",")
        }`,
    );
    const result = await runScenario(scenario, {
      maxJobs: MAX_JOBS,
      workDir,
      atticDouble,
      server,
      loopsPerSecond,
      helperArgv,
      runTimeoutSeconds: 3600,
      log: (line) => console.error(line),
    });
    scenarios.push({ result, summary: summarizeScenario(result) });
  }
  // Only the directories of runs that went wrong are left, for a post-mortem.
  await Deno.remove(workDir).catch(() => console.error(`bench: kept ${workDir}`));
  return {
    schema: "attic-ci/benchmarks@1",
    preset: options.preset,
    startedAt,
    endedAt: new Date().toISOString(),
    machine,
    cacheKind: "attic",
    maxJobs: MAX_JOBS,
    scenarios,
  };
}

/** Results read back from `file`, their summaries recomputed. */
async function reload(file: string): Promise<BenchResults> {
  return parseResults(await Deno.readTextFile(file), file);
}

/** Print the tables and the headline; write the JSON and the docs when asked. */
async function publish(results: BenchResults, options: BenchOptions): Promise<number> {
  for (const { result, summary } of results.scenarios) {
    console.log("");
    console.log(`${scenarioTitle(result)} (${result.scenario.rounds} round(s), medians (min–max))`);
    console.log(toText(summary.failing ? failureTable(summary) : timingTable(summary)));
  }
  const clients = clientTable(
    results.scenarios.map((s) => ({ title: scenarioTitle(s.result), summary: s.summary })),
  );
  if (clients !== null) {
    console.log("");
    console.log("attic-ci through the attic CLI (d) beside its built-in client (f), medians");
    console.log(toText(clients));
  }
  const goals = checkGoals(results.scenarios);
  if (goals.length > 0) {
    console.log("");
    console.log("The default configuration's goals (f), met or not");
    console.log(toText(goalTable(goals)));
  }
  if (results.scenarios.some((s) => s.result.scenario.shape.nodes < 100)) {
    console.log(
      "\nNote: builds of seconds weigh fixed costs (start-up, the last push) more; " +
        "see docs/benchmarks.md for 100 and 500 derivations.",
    );
  }
  console.log("");
  console.log(`Headline: ${headline(results)}`);
  const json = JSON.stringify(results, null, 2) + "\n";
  if (options.jsonOut !== null) await Deno.writeTextFile(options.jsonOut, json);
  if (options.writeDocs) {
    if (options.renderFrom === null) await Deno.writeTextFile(`${ROOT}/docs/benchmarks.json`, json);
    await writeDocs(results, `${ROOT}/docs`);
    console.error("bench: updated docs/benchmarks.md (between its markers) and benchmarks.svg");
  }
  const bad = results.scenarios.flatMap((s) => s.result.runs).filter((r) => !r.asExpected).length;
  if (bad > 0) {
    console.error(`bench: ${bad} run(s) ended with an unexpected exit code (see the tables)`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  Deno.exitCode = await run(Deno.args);
}
