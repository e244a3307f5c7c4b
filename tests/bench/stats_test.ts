import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { median, quantile, summarize } from "../../bench/stats.ts";

Deno.test("quantile() interpolates between the closest ranks", () => {
  assertEquals(quantile([1, 2, 3, 4], 0.5), 2.5);
  assertEquals(quantile([4, 1, 3, 2], 0), 1);
  assertEquals(quantile([4, 1, 3, 2], 1), 4);
  assertEquals(quantile([10], 0.99), 10);
  assertEquals(quantile([0, 100], 0.99), 99);
});

Deno.test("quantile() throws RangeError without samples or with q outside 0..1", () => {
  assert(assertThrows(() => quantile([], 0.5), "no samples") instanceof RangeError);
  assert(assertThrows(() => quantile([1], 1.5), "0..1") instanceof RangeError);
});

Deno.test("median() of an odd count is the middle sample", () => {
  assertEquals(median([5, 1, 3]), 3);
});

Deno.test("summarize() gives min, quartiles, median and max, and null when empty", () => {
  assertEquals(summarize([1, 2, 3, 4, 5]), { n: 5, min: 1, q1: 2, median: 3, q3: 4, max: 5 });
  assertEquals(summarize([]), null);
  assertEquals(summarize([Number.NaN]), null);
});
