import { deepStrictEqual as assertEquals, equal, throws } from "node:assert/strict";
import { median, quantile, summarize } from "./stats.ts";

Deno.test("quantile() interpolates between the closest ranks", () => {
  equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  equal(quantile([4, 1, 3, 2], 0), 1);
  equal(quantile([4, 1, 3, 2], 1), 4);
  equal(quantile([10], 0.99), 10);
  equal(quantile([0, 100], 0.99), 99);
});

Deno.test("quantile() throws RangeError without samples or with q outside 0..1", () => {
  throws(() => quantile([], 0.5), RangeError);
  throws(() => quantile([1], 1.5), RangeError);
});

Deno.test("median() of an odd count is the middle sample", () => {
  equal(median([5, 1, 3]), 3);
});

Deno.test("summarize() gives min, quartiles, median and max, and null when empty", () => {
  assertEquals(summarize([1, 2, 3, 4, 5]), { n: 5, min: 1, q1: 2, median: 3, q3: 4, max: 5 });
  equal(summarize([]), null);
  equal(summarize([Number.NaN]), null);
});
