/**
 * Load: a burst of real derivations (a wide, deep graph built with several
 * jobs, so many finish at once) through `exec` into a `file://` cache; then
 * the cache itself says whether every valid output arrived.
 *
 * @module
 */

import { nixCopyArgs } from "../../tests/helpers/cli.ts";
import { graphBuild, newTag, storePathsOf, tempDir } from "../../tests/helpers/nix.ts";
import { missingFrom } from "../binary_cache.ts";
import { runHelper } from "../helper_process.ts";
import type { LoadResult } from "../results.ts";

/** The shape of the burst. */
export interface LoadShape {
  readonly width: number;
  readonly depth: number;
  readonly maxJobs: number;
}

/** Paths per push call: the helper's default batch bound. */
const BATCH_BOUND = 100;

/** Builds `width × depth` derivations (plus the root) under `exec`. */
export async function runLoad(shape: LoadShape, log: (line: string) => void): Promise<LoadResult> {
  const dir = await tempDir("attic-ci-stress-load-");
  try {
    const tag = newTag("stress");
    const reportFile = `${dir}/report.json`;
    const derivations = shape.width * shape.depth + 1;
    log(`building ${derivations} derivations with --max-jobs ${shape.maxJobs}`);
    const run = await runHelper([
      "exec",
      ...nixCopyArgs(dir, { report: true }),
      "--",
      ...graphBuild(tag, { width: shape.width, depth: shape.depth, sleep: "0" }),
      "--max-jobs",
      String(shape.maxJobs),
    ], { cwd: dir, reportFile });
    const report = run.report;
    if (report === null) throw new Error(`exec wrote no report (exit ${run.code}):\n${run.stderr}`);
    const { valid } = await storePathsOf(tag);
    const lost = await missingFrom(`${dir}/cache`, valid);
    const storeEntries = await countEntries("/nix/store");
    return {
      derivations,
      maxJobs: shape.maxJobs,
      buildStatus: run.code,
      valid: valid.length,
      pushed: report.pushed,
      incremental: report.incremental,
      reconciled: report.finalPushDetail.reconciled,
      outLinks: report.finalPushDetail.outLinks,
      maxBatch: Math.max(0, ...report.pushCalls.map((call) => call.paths)),
      batchBound: BATCH_BOUND,
      pushCalls: report.pushInvocations,
      rescans: report.rescans,
      lost: lost.length,
      peakRssBytes: report.resources.peakRssBytes,
      seconds: run.seconds,
      storeEntries,
      baselineSeconds: report.storeListing.baselineSeconds,
      reconcileSeconds: report.storeListing.reconcileSeconds,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Entries of a directory. */
export async function countEntries(dir: string): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(dir)) n++;
  return n;
}
