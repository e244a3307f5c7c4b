/**
 * A long session: `attic-ci watch` in the foreground (as under systemd on a
 * builder), fed round after round of new paths; its resident memory read
 * after each round once the round is in the cache; then SIGTERM, the drain
 * and the final push, and the cache checked for every path.
 *
 * @module
 */

import { tempDir } from "../../tests/helpers/nix.ts";
import { cachedHashes, hashOf, missingFrom } from "../binary_cache.ts";
import { waitFor } from "../../tests/helpers/attic.ts";
import { mib, startHelper } from "../helper_process.ts";
import { type LongSessionResult, slope } from "../results.ts";
import type { ScratchStore } from "../scratch_store.ts";
import { scratchArgs } from "./memory.ts";

/** How long the session is. */
export interface LongShape {
  readonly rounds: number;
  readonly pathsPerRound: number;
}

/** Runs the session; see the module documentation. */
export async function runLongSession(
  store: ScratchStore,
  shape: LongShape,
  log: (line: string) => void,
): Promise<LongSessionResult> {
  const dir = await tempDir("attic-ci-stress-long-");
  const cache = `${dir}/cache`;
  const reportFile = `${dir}/report.json`;
  const watch = startHelper(["watch", ...scratchArgs(store, dir)], {
    env: { ...store.env },
    cwd: dir,
    reportFile,
  });
  try {
    await waitFor(() => exists(`${dir}/state/status.json`), "the watch to start", 60_000);
    const added: string[] = [];
    const rssAfterRound: number[] = [];
    const started = performance.now();
    for (let round = 1; round <= shape.rounds; round++) {
      const paths = await store.add(shape.pathsPerRound, "long");
      added.push(...paths);
      await waitFor(
        async () => {
          const cached = await cachedHashes(cache);
          return paths.every((path) => cached.has(hashOf(path)));
        },
        `round ${round} to reach the cache`,
        120_000,
      );
      const rss = await watch.rssNow();
      if (rss === null) throw new Error(`the watch ended during round ${round}`);
      rssAfterRound.push(rss);
      if (round === 1 || round % 5 === 0 || round === shape.rounds) {
        log(`round ${round}/${shape.rounds}: ${added.length} paths pushed, RSS ${mib(rss)} MiB`);
      }
    }
    watch.kill("SIGTERM");
    const run = await watch.done();
    if (run.code !== 0 || run.report === null) {
      throw new Error(`watch did not end cleanly (exit ${run.code}):\n${run.stderr}`);
    }
    const pushedAfter = rssAfterRound.map((_, i) => (i + 1) * shape.pathsPerRound);
    return {
      rounds: shape.rounds,
      pathsPerRound: shape.pathsPerRound,
      seconds: (performance.now() - started) / 1000,
      pushed: run.report.pushed,
      lost: (await missingFrom(cache, added)).length,
      rssAfterRound,
      peakRssBytes: run.report.resources.peakRssBytes,
      // From the second round on: the first pays for warming up (code, buffers).
      bytesPerPath: slope(pushedAfter.slice(1), rssAfterRound.slice(1)),
      omittedPaths: run.report.omitted.paths,
    };
  } finally {
    try {
      watch.kill("SIGKILL");
    } catch { /* ended */ }
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
