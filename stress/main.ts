/**
 * `deno task stress`: the reliability figures — load, store scale, memory per
 * size, a long session, faults, bad input — measured against the real helper
 * and written to docs/reliability.md. Exits 1 when a check does not hold
 * (anything lost, a contract broken), 2 on a bad option; never because of a
 * timing.
 *
 * @module
 */

import { describeMachine } from "../bench/machine.ts";
import { ROOT, tempDir } from "../tests/helpers/nix.ts";
import { mib } from "./helper_process.ts";
import { HELP, parseStressArgs, type ScenarioName, type StressOptions } from "./options.ts";
import { renderReliability, totalLost } from "./render.ts";
import {
  checks,
  type LoadResult,
  type MemoryPoint,
  type ScaleResult,
  type StressResults,
} from "./results.ts";
import { runFaults } from "./scenarios/faults.ts";
import { runInputs } from "./scenarios/inputs.ts";
import { countEntries, runLoad } from "./scenarios/load.ts";
import { runLongSession } from "./scenarios/long_session.ts";
import { runScratchPoint } from "./scenarios/memory.ts";
import { emptyExec, fillStore } from "./scenarios/scale.ts";
import { ScratchStore } from "./scratch_store.ts";

function log(line: string): void {
  console.error(`stress: ${line}`);
}

function memoryPointOf(load: LoadResult): MemoryPoint {
  return {
    paths: load.valid,
    store: "real",
    pushed: load.pushed,
    lost: load.lost,
    peakRssBytes: load.peakRssBytes,
    seconds: load.seconds,
    baselineSeconds: load.baselineSeconds,
    reconcileSeconds: load.reconcileSeconds,
    rescans: load.rescans,
  };
}

/** Runs the chosen scenarios in order; each one's figures as it ends. */
async function runScenarios(options: StressOptions): Promise<StressResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const wants = (name: ScenarioName) => options.only.includes(name);
  const sizes = options.sizes;
  const results: {
    -readonly [K in keyof StressResults]: StressResults[K];
  } = { startedAt, seconds: 0, quick: options.quick };

  if (wants("inputs")) {
    log("— bad input —");
    results.inputs = await runInputs(sizes.randomInputs, sizes.seed, log);
    log(`${results.inputs.refused} refused, ${results.inputs.problems.length} broke the contract`);
  }

  const memory: MemoryPoint[] = [];
  if (wants("load") || wants("memory")) {
    log("— load —");
    const load = await runLoad(sizes.load, log);
    log(
      `${load.pushed}/${load.valid} pushed, ${load.reconciled} caught by the reconcile, ` +
        `${load.lost} lost, peak ${mib(load.peakRssBytes)} MiB`,
    );
    if (wants("load")) results.load = load;
    if (wants("memory")) {
      const small = await runLoad(sizes.smallLoad, log);
      log(`${small.valid} real paths: peak ${mib(small.peakRssBytes)} MiB`);
      memory.push(memoryPointOf(small), memoryPointOf(load));
    }
  }

  if (wants("scale") || wants("memory") || wants("long")) {
    const store = await ScratchStore.create(await tempDir("attic-ci-stress-store-"));
    try {
      log("— scale of the store —");
      const before = await emptyExec(store);
      const fillSeconds = await fillStore(store, sizes.storeEntries, log);
      const after = await emptyExec(store);
      const machine = await emptyExec({ storeDir: "/nix/store", env: {} });
      const scale: ScaleResult = {
        entries: await store.entries(),
        fillSeconds,
        emptyExecSeconds: after.seconds,
        emptyStoreExecSeconds: before.seconds,
        baselineSeconds: after.baselineSeconds,
        reconcileSeconds: after.reconcileSeconds,
        rescans: before.rescans + after.rescans,
        machineStore: {
          entries: await countEntries("/nix/store"),
          execSeconds: machine.seconds,
          baselineSeconds: machine.baselineSeconds,
          reconcileSeconds: machine.reconcileSeconds,
        },
      };
      log(
        `${scale.entries} entries: listing ${after.baselineSeconds?.toFixed(3)} s, ` +
          `reconcile ${after.reconcileSeconds?.toFixed(3)} s`,
      );
      if (wants("memory")) {
        log("— memory per size —");
        for (const paths of sizes.memory) {
          const point = await runScratchPoint(store, paths, log);
          log(`${paths} paths: peak ${mib(point.peakRssBytes)} MiB, ${point.lost} lost`);
          memory.push(point);
        }
        results.memory = memory;
      }
      if (wants("scale")) {
        const rescans = memory.filter((p) => p.store === "scratch").reduce(
          (n, p) => n + p.rescans,
          0,
        );
        results.scale = { ...scale, rescans: scale.rescans + rescans };
      }
      if (wants("long")) {
        log("— a long session —");
        results.long = await runLongSession(store, sizes.long, log);
      }
    } finally {
      await store.dispose();
    }
  }

  if (wants("faults")) {
    log("— faults —");
    results.faults = await runFaults(sizes.faultBuild, log);
  }

  results.seconds = (performance.now() - started) / 1000;
  return results;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: StressOptions;
  try {
    const parsed = parseStressArgs(argv);
    if (parsed.help) {
      console.log(HELP);
      return 0;
    }
    options = parsed.options;
  } catch (error) {
    console.error(`stress: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  const results = await runScenarios(options);
  const list = checks(results);
  const machine = await describeMachine(ROOT);
  if (options.out) {
    await Deno.writeTextFile(`${options.out}`, renderReliability(results, machine, list));
    log(`wrote ${options.out}`);
  }
  if (options.json) {
    await Deno.writeTextFile(options.json, JSON.stringify({ machine, results }, null, 2) + "\n");
    log(`wrote ${options.json}`);
  }
  const broken = list.filter((check) => check.problem !== null);
  for (const check of broken) log(`FAILED ${check.what}: ${check.problem}`);
  log(
    `${list.length - broken.length} of ${list.length} checks held; ${
      totalLost(results)
    } path(s) lost; ` +
      `${results.seconds.toFixed(0)} s`,
  );
  return broken.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
