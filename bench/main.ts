/**
 * `deno task bench`: compares attic-ci with pushing at the end of the build
 * and with Nix's post-build-hook, on generated derivation graphs, and prints
 * (and with `--full`, documents) the results. See docs/benchmarks.md.
 *
 * @module
 */

import { type BenchOptions, HELP, parseBenchArgs } from "./options.ts";
import { describeMachine } from "./machine.ts";
import { describeNetwork } from "./network.ts";
import { output } from "./process.ts";
import { failureTable, timingTable, toText } from "./render_table.ts";
import { type BenchResults, headline, type ScenarioEntry, scenarioTitle } from "./results.ts";
import { runScenario, type SuiteSettings } from "./suite.ts";
import { summarizeScenario } from "./summary.ts";
import { writeDocs } from "./write_docs.ts";

/** Run the benchmark with `argv`; returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const repoRoot = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  let parsed;
  try {
    parsed = parseBenchArgs(argv, { repoRoot, tmpDir: Deno.env.get("TMPDIR") ?? "/tmp" });
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  const options = parsed.options;
  const log = (line: string) => {
    if (options.verbose) console.error(line);
  };
  const results = options.renderFrom === null
    ? await measure(options, log)
    : await reload(options.renderFrom);
  if (results === null) return 1;
  return await publish(results, options, repoRoot, log);
}

/** Run every scenario; null when the prerequisites are missing. */
async function measure(
  options: BenchOptions,
  log: (line: string) => void,
): Promise<BenchResults | null> {
  const settings = await prepare(options, log);
  if (settings === null) return null;
  const earlier = options.resumeFrom === null ? null : await reload(options.resumeFrom);
  const startedAt = earlier?.startedAt ?? new Date().toISOString();
  const machine = await describeMachine(options.repoRoot);
  log(
    `bench: preset ${options.preset}, cache ${options.cacheKind}, ${machine.cores} cores, ${machine.nix}`,
  );
  const scenarios: ScenarioEntry[] = [];
  const snapshot = (): BenchResults => ({
    schema: "attic-ci/benchmarks@1",
    preset: options.preset,
    startedAt,
    endedAt: new Date().toISOString(),
    machine,
    cacheKind: options.cacheKind,
    maxJobs: options.maxJobs,
    scenarios,
  });
  try {
    for (const scenario of options.scenarios) {
      const done = earlier?.scenarios.find((s) =>
        JSON.stringify(s.result.scenario) === JSON.stringify(scenario)
      );
      if (done !== undefined && earlier?.cacheKind === options.cacheKind) {
        log(`bench: scenario ${scenario.id}: taken from ${options.resumeFrom}`);
        scenarios.push(done);
        continue;
      }
      log(
        `bench: scenario ${scenario.id}: ${scenario.shape.nodes} derivations, ` +
          `${describeNetwork(scenario.network)}, ${scenario.rounds} round(s) of ${
            scenario.strategies.join(",")
          }`,
      );
      const result = await runScenario(scenario, settings);
      scenarios.push({ result, summary: summarizeScenario(result) });
      // A checkpoint after every scenario: a long run that dies can --resume.
      if (options.jsonOut !== null) await writeJson(options.jsonOut, snapshot());
    }
  } finally {
    if (!options.keep) await Deno.remove(options.workDir, { recursive: true }).catch(() => {});
  }
  return snapshot();
}

async function writeJson(file: string, results: BenchResults): Promise<void> {
  const tmp = `${file}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(results, null, 2) + "\n");
  await Deno.rename(tmp, file);
}

/** Read an earlier results file, summarising its runs again. */
async function reload(file: string): Promise<BenchResults> {
  const results = JSON.parse(await Deno.readTextFile(file)) as BenchResults;
  return {
    ...results,
    scenarios: results.scenarios.map(({ result }) => ({
      result,
      summary: summarizeScenario(result),
    })),
  };
}

/** Print the tables and the headline; write the JSON and the docs when asked. */
async function publish(
  results: BenchResults,
  options: BenchOptions,
  repoRoot: string,
  log: (line: string) => void,
): Promise<number> {
  const scenarios = results.scenarios;
  for (const { result, summary } of scenarios) {
    console.log("");
    console.log(`${scenarioTitle(result)} (${result.scenario.rounds} round(s), medians (min–max))`);
    console.log(toText(summary.failing ? failureTable(summary) : timingTable(summary)));
  }
  const short = scenarios.some(({ summary }) =>
    !summary.failing &&
    (summary.strategies.find((s) => s.strategy === "a")?.build?.median ?? Infinity) < 10
  );
  if (short) {
    console.log("");
    console.log(
      "Note: these builds last only seconds, so fixed costs (start-up, the last push) weigh more; " +
        "see docs/benchmarks.md for 100 and 500 derivations.",
    );
  }
  console.log("");
  console.log(`Headline: ${headline(results)}`);
  if (options.jsonOut !== null) {
    await writeJson(options.jsonOut, results);
    log(`bench: wrote ${options.jsonOut}`);
  }
  if (options.writeDocs) {
    await writeDocs(results, `${repoRoot}/docs`);
    log(`bench: wrote docs/benchmarks.md, docs/benchmarks.json, docs/benchmarks.svg`);
  }
  const bad = scenarios.flatMap((s) => s.result.runs).filter((r) => !r.asExpected).length;
  if (bad > 0) {
    console.error(`bench: ${bad} run(s) ended with an unexpected exit code (see the tables)`);
    return 1;
  }
  return 0;
}

/** Check the prerequisites and warm up the helper and the attic stand-in (untimed). */
async function prepare(
  options: BenchOptions,
  log: (line: string) => void,
): Promise<SuiteSettings | null> {
  const which = async (name: string) =>
    (await output(["/bin/sh", "-c", `command -v ${name}`])).trim();
  const nix = await which("nix");
  const nixBuild = await which("nix-build");
  const nixStore = await which("nix-store");
  const entry = `${options.repoRoot}/src/main.ts`;
  const needsHelper = options.scenarios.some((s) =>
    s.strategies.some((id) => id === "d" || id === "e")
  );
  if (needsHelper && !(await exists(entry))) {
    console.error(`bench: ${entry} does not exist yet; run with --strategies a,b,c`);
    return null;
  }
  if (options.cacheKind === "attic" && !(await exists(options.atticDouble))) {
    console.error(
      `bench: the attic stand-in ${options.atticDouble} does not exist; use --cache file`,
    );
    return null;
  }
  const nixConfig = [Deno.env.get("NIX_CONFIG") ?? "", "substituters ="].filter((l) => l).join(
    "\n",
  );
  const env = { NIX_CONFIG: nixConfig };
  const helperArgv = [Deno.execPath(), "run", "-A", "--quiet", entry];
  log("bench: warming up the helper and the attic stand-in (untimed)");
  if (needsHelper) await output([...helperArgv, "--version"], env);
  if (options.cacheKind === "attic") await output([options.atticDouble, "--version"], env);
  await Deno.mkdir(options.workDir, { recursive: true });
  return {
    cacheKind: options.cacheKind,
    maxJobs: options.maxJobs,
    workDir: options.workDir,
    keep: options.keep,
    atticDouble: options.atticDouble,
    helper: {
      argv: helperArgv,
      // Fail the attic client bootstrap at once; the stand-in on PATH is used instead.
      extraArgs: options.cacheKind === "attic"
        ? ["--bootstrap-installable", "/nonexistent/attic-ci-bench#attic-client"]
        : [],
    },
    nixBuild,
    nixStore,
    nix,
    env,
    runTimeoutSeconds: options.runTimeoutSeconds,
    log,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  Deno.exitCode = await run(Deno.args);
}
