import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { calibrateCpuLoop, cpuSecondsOfStat } from "../../bench/cpu_work.ts";

Deno.test("cpuSecondsOfStat() adds utime and stime, whatever the command name holds", () => {
  assertEquals(cpuSecondsOfStat("42 (sh) R 1 42 42 0 -1 0 0 0 0 0 150 7 0 0 20 0", 100), 1.57);
  assertEquals(
    cpuSecondsOfStat("42 (a b) c) S 1 42 42 0 -1 0 0 0 0 0 100 100 0 0 20 0", 100),
    2,
  );
  assertThrows(() => cpuSecondsOfStat("42 (sh) R 1", 100), "Cannot read CPU time");
});

Deno.test("calibrateCpuLoop() measures a positive rate of the shell loop", async () => {
  const rate = await calibrateCpuLoop(1);
  assert(Number.isInteger(rate) && rate > 1000, `rate ${rate}`);
});
