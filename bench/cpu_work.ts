/**
 * Calibration of the computing builders (graph.ts's {@linkcode CPU_LOOP}): how
 * many iterations of the loop `/bin/sh` runs per second of CPU time on this
 * machine, so that a builder given `buildMs × rate / 1000` iterations computes
 * for its build time on an idle core, and for longer when it has to share one.
 *
 * The rate is measured in CPU time (the shell's own `utime + stime` from
 * `/proc/$$/stat`), not wall time, so other work on the machine during the
 * calibration does not lower it.
 *
 * @module
 */

import { sh } from "../tests/helpers/nix.ts";
import { CPU_LOOP } from "./graph.ts";

/** Iterations of one calibration run: about a second of CPU time on an AMD EPYC core. */
const CALIBRATION_LOOPS = 400_000;

/**
 * Iterations of {@linkcode CPU_LOOP} per CPU second: the fastest of `runs`
 * runs of the loop in `/bin/sh`.
 *
 * @example
 * ```ts
 * const rate = await calibrateCpuLoop();
 * renderGraph(plan, tag, { loopsPerSecond: rate });
 * ```
 */
export async function calibrateCpuLoop(runs = 3): Promise<number> {
  const ticks = Number((await sh("/usr/bin/getconf", ["CLK_TCK"])).stdout.trim()) || 100;
  let best = 0;
  for (let run = 0; run < runs; run++) {
    const script = `loops=${CALIBRATION_LOOPS}\n${CPU_LOOP}\nread -r stat < /proc/$$/stat\n` +
      'echo "$stat"';
    const out = await sh("/bin/sh", ["-c", script]);
    if (out.code !== 0) {
      throw new Error(`Cannot calibrate the computing builders: /bin/sh exited with ${out.code}`);
    }
    const cpu = cpuSecondsOfStat(out.stdout, ticks);
    best = Math.max(best, CALIBRATION_LOOPS / cpu);
  }
  return Math.round(best);
}

/**
 * The user + system CPU seconds of a process from its `/proc/PID/stat` line
 * (fields 14 and 15, counted after the parenthesised command name).
 *
 * @example
 * ```ts
 * cpuSecondsOfStat("42 (sh) R 1 42 42 0 -1 0 0 0 0 0 150 7 0 0", 100); // 1.57
 * ```
 */
export function cpuSecondsOfStat(stat: string, ticksPerSecond: number): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || utime + stime <= 0) {
    throw new Error(
      `Cannot read CPU time from /proc/PID/stat: current value is ${JSON.stringify(stat.trim())}`,
    );
  }
  return (utime + stime) / ticksPerSecond;
}
