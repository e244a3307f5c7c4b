import { assertEquals } from "../helpers/assert.ts";
import { ChildMemoryReclaimer, v8Collector } from "../../src/system/native_memory.ts";

Deno.test("ChildMemoryReclaimer collects once every `every` finished children, not before", () => {
  let collected = 0;
  const reclaimer = new ChildMemoryReclaimer({ every: 3, collect: () => collected++ });
  for (let i = 0; i < 2; i++) reclaimer.childEnded();
  assertEquals(collected, 0);
  reclaimer.childEnded();
  assertEquals(collected, 1);
  for (let i = 0; i < 6; i++) reclaimer.childEnded();
  assertEquals([collected, reclaimer.collections], [3, 3]);
});

Deno.test("v8Collector exposes V8's full collection at run time, with no flag on the command line", () => {
  const collect = v8Collector();
  assertEquals(typeof collect, "function");
  collect!(); // a collection runs and returns
});

Deno.test("without an injected collection, the reclaimer uses V8's and counts it", () => {
  const reclaimer = new ChildMemoryReclaimer({ every: 1 });
  reclaimer.childEnded();
  assertEquals(reclaimer.collections, 1);
});
