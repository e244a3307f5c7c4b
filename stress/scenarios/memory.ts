/**
 * Memory per size: `exec` while a burst of N new paths lands in the scratch
 * store (one store for every size, so only the number of paths differs), and
 * the cache checked for every one of them.
 *
 * @module
 */

import { nixCopyArgs } from "../../tests/helpers/cli.ts";
import { tempDir } from "../../tests/helpers/nix.ts";
import { missingFrom } from "../binary_cache.ts";
import { runHelper } from "../helper_process.ts";
import type { MemoryPoint } from "../results.ts";
import { readPaths, type ScratchStore } from "../scratch_store.ts";

/** The engine flags of a run in the scratch store that pushes into `<dir>/cache`. */
export function scratchArgs(store: Pick<ScratchStore, "storeDir">, dir: string): string[] {
  return ["--store-dir", store.storeDir, ...nixCopyArgs(dir, { report: true })];
}

/** `exec` adding `paths` new store paths to `store`. */
export async function runScratchPoint(
  store: ScratchStore,
  paths: number,
  log: (line: string) => void,
): Promise<MemoryPoint> {
  const dir = await tempDir("attic-ci-stress-memory-");
  try {
    const files = await store.writeFiles(paths, "m");
    const list = `${dir}/added`;
    log(`exec while ${paths} paths are added to a store of ${await store.entries()} entries`);
    const run = await runHelper(
      ["exec", ...scratchArgs(store, dir), "--", ...store.addCommand(files, list)],
      { env: { ...store.env }, cwd: dir, reportFile: `${dir}/report.json` },
    );
    const report = run.report;
    if (run.code !== 0 || report === null) {
      throw new Error(`exec in the scratch store failed (exit ${run.code}):\n${run.stderr}`);
    }
    const added = await readPaths(list);
    if (added.length !== paths) throw new Error(`${added.length} paths added, not ${paths}`);
    await Deno.remove(files, { recursive: true });
    return {
      paths,
      store: "scratch",
      pushed: report.pushed,
      lost: (await missingFrom(`${dir}/cache`, added)).length,
      peakRssBytes: report.resources.peakRssBytes,
      seconds: run.seconds,
      baselineSeconds: report.storeListing.baselineSeconds,
      reconcileSeconds: report.storeListing.reconcileSeconds,
      rescans: report.rescans,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
