/**
 * Scale of the store: fill the scratch store with real entries, then time
 * what grows with it — the baseline listing at the start and the reconcile's
 * listing at the end — and the helper's whole overhead around a build that
 * does nothing.
 *
 * @module
 */

import { tempDir } from "../../tests/helpers/nix.ts";
import { runHelper } from "../helper_process.ts";
import type { ScratchStore } from "../scratch_store.ts";
import { scratchArgs } from "./memory.ts";

/** Adds paths in chunks until the store holds at least `entries`; returns the seconds it took. */
export async function fillStore(
  store: ScratchStore,
  entries: number,
  log: (line: string) => void,
): Promise<number> {
  const started = performance.now();
  const chunk = 10_000;
  for (let have = await store.entries(); have < entries; have = await store.entries()) {
    const n = Math.min(chunk, entries - have);
    log(`filling the scratch store: ${have} of ${entries} entries`);
    await store.add(n, "fill");
  }
  return (performance.now() - started) / 1000;
}

/** A store to run in: the scratch store, or the machine's own (`/nix/store`, no variables). */
export type StoreUnderTest = Pick<ScratchStore, "storeDir" | "env">;

/** `exec -- true` in `store`: start-up, baseline, reconcile and report around no build at all. */
export async function emptyExec(store: StoreUnderTest): Promise<{
  seconds: number;
  baselineSeconds: number | null;
  reconcileSeconds: number | null;
  rescans: number;
}> {
  const dir = await tempDir("attic-ci-stress-scale-");
  try {
    const run = await runHelper(["exec", ...scratchArgs(store, dir), "--", "true"], {
      env: { ...store.env },
      cwd: dir,
      reportFile: `${dir}/report.json`,
    });
    if (run.code !== 0 || run.report === null) {
      throw new Error(`exec -- true failed (exit ${run.code}):\n${run.stderr}`);
    }
    return {
      seconds: run.seconds,
      baselineSeconds: run.report.storeListing.baselineSeconds,
      reconcileSeconds: run.report.storeListing.reconcileSeconds,
      rescans: run.report.rescans,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
