/**
 * BatchQueue flushes on idle, on max wait and on max size.
 */

import { BatchQueue } from "../../src/engine/batch_queue.ts";
import { assertEquals } from "../helpers/assert.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("BatchQueue flushes a burst once it has been idle for idleMs", async () => {
  const batches: number[][] = [];
  const queue = new BatchQueue<number>((b) => batches.push(b), { idleMs: 50, maxWaitMs: 5_000 });
  queue.add(1);
  queue.add(2);
  queue.add(3);
  assertEquals(batches, []);
  await sleep(120);
  assertEquals(batches, [[1, 2, 3]]);
});

Deno.test("BatchQueue flushes a steady trickle when the oldest item waited maxWaitMs", async () => {
  const batches: number[][] = [];
  const queue = new BatchQueue<number>((b) => batches.push(b), { idleMs: 80, maxWaitMs: 150 });
  for (let i = 0; i < 6; i++) {
    queue.add(i);
    await sleep(40);
  }
  queue.flush();
  assertEquals(batches.length >= 2, true, `batches: ${JSON.stringify(batches)}`);
  assertEquals(batches.flat(), [0, 1, 2, 3, 4, 5]);
});

Deno.test("BatchQueue flushes at once when a batch is full, in arrival order", () => {
  const batches: number[][] = [];
  const queue = new BatchQueue<number>((b) => batches.push(b), { maxSize: 2, idleMs: 10_000 });
  queue.add(1);
  queue.add(2);
  queue.add(3);
  assertEquals(batches, [[1, 2]]);
  assertEquals(queue.size, 1);
  queue.flush();
  assertEquals(batches, [[1, 2], [3]]);
});

Deno.test("BatchQueue rejects a maxSize below 1", () => {
  let error: unknown;
  try {
    new BatchQueue<number>(() => {}, { maxSize: 0 });
  } catch (e) {
    error = e;
  }
  assertEquals(error instanceof RangeError, true);
});
