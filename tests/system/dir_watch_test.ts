/**
 * The directory watch, on inotify (only creations and removals asked for) and
 * on its fallback `Deno.watchFs`: the same events for the same changes, an
 * overflow said when the kernel's queue ran over, the directory's removal
 * said, and close() ending the iteration at once.
 */

import { type DirWatch, type DirWatchEvent, openDirWatch } from "../../src/system/dir_watch.ts";
import { parseEvents } from "../../src/system/inotify.ts";
import { assert, assertEquals } from "../helpers/assert.ts";

/** Collects a watch's events until `done` holds of them, or fails after 5 s. */
async function collect(
  watch: DirWatch,
  done: (events: DirWatchEvent[]) => boolean,
): Promise<DirWatchEvent[]> {
  const events: DirWatchEvent[] = [];
  const timer = setTimeout(() => watch.close(), 5_000);
  try {
    for await (const event of watch) {
      events.push(event);
      if (done(events)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

for (const watchFs of [false, true]) {
  const via = watchFs ? "watchFs" : "inotify";

  Deno.test(`${via}: entries created and removed are reported by name, and nothing else`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/old`, "x");
      const watch = openDirWatch(dir, { created: true, removed: true }, { watchFs });
      assertEquals(watch.via, via);
      const events = collect(watch, (e) => e.some((x) => x.kind === "removed" && x.name === "b"));
      await Deno.writeTextFile(`${dir}/a.lock`, "");
      await Deno.writeTextFile(`${dir}/old`, "changed"); // a write: not asked for
      await Deno.chmod(`${dir}/old`, 0o600); // an attribute change: not asked for
      await Deno.mkdir(`${dir}/b`);
      await Deno.writeTextFile(`${dir}/b/inside`, "x"); // in a subdirectory: not watched
      await Deno.remove(`${dir}/b`, { recursive: true });
      const seen = (await events).filter((e) => e.kind !== "overflow");
      assertEquals(seen, [
        { kind: "created", name: "a.lock" },
        { kind: "created", name: "b" },
        { kind: "removed", name: "b" },
      ]);
      watch.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${via}: close() ends an iteration that waits for events, at once`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const watch = openDirWatch(dir, { created: true, removed: true }, { watchFs });
      const ended = collect(watch, () => false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      watch.close();
      assertEquals(await ended, []);
      assert(performance.now() - started < 1_000, "the iteration ended within a second");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("inotify: only creations when only creations are asked for", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const watch = openDirWatch(dir, { created: true, removed: false });
    const events = collect(watch, (e) => e.some((x) => x.kind === "created" && x.name === "2"));
    await Deno.writeTextFile(`${dir}/1`, "");
    await Deno.remove(`${dir}/1`);
    await Deno.writeTextFile(`${dir}/2`, "");
    assertEquals(await events, [{ kind: "created", name: "1" }, { kind: "created", name: "2" }]);
    watch.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The kernel's queue length per inotify instance (16,384 unless the machine changed it). */
const QUEUE_LIMIT = Number(Deno.readTextFileSync("/proc/sys/fs/inotify/max_queued_events"));

Deno.test({
  name: "inotify: a queue that ran over is said as an overflow",
  // Running over takes one file per queued event: past 100,000 that is too slow for the suite.
  ignore: QUEUE_LIMIT > 100_000,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const limit = QUEUE_LIMIT;
    const watch = openDirWatch(dir, { created: true, removed: false });
    // Nothing is read until the iteration starts: the kernel queues, then drops.
    for (let i = 0; i <= limit + 10; i++) Deno.writeFileSync(`${dir}/${i}`, new Uint8Array());
    const events = await collect(watch, (e) => e.some((x) => x.kind === "overflow"));
    assertEquals(events.filter((e) => e.kind === "created").length, limit);
    assertEquals(events.at(-1), { kind: "overflow" });
    watch.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inotify: the watched directory removed is said as gone, and the iteration ends", async () => {
  const parent = await Deno.makeTempDir();
  const dir = `${parent}/watched`;
  try {
    await Deno.mkdir(dir);
    const watch = openDirWatch(dir, { created: true, removed: true });
    const events = collect(watch, () => false);
    await Deno.remove(dir);
    assertEquals((await events).at(-1), { kind: "gone" });
    watch.close();
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a directory that cannot be watched throws, as Deno.watchFs does", () => {
  let error: unknown;
  try {
    openDirWatch("/nonexistent/attic-ci-dir", { created: true, removed: true });
  } catch (e) {
    error = e;
  }
  assert(error instanceof Deno.errors.NotFound, String(error));
});

Deno.test("parseEvents reads whole struct inotify_event records, names without their padding", () => {
  const record = (mask: number, name: string) => {
    const padded = name === "" ? 0 : Math.ceil((name.length + 1) / 16) * 16;
    const bytes = new Uint8Array(16 + padded);
    const view = new DataView(bytes.buffer);
    view.setInt32(0, 1, true);
    view.setUint32(4, mask, true);
    view.setUint32(12, padded, true);
    bytes.set(new TextEncoder().encode(name), 16);
    return bytes;
  };
  const parts = [
    record(0x100, "abc.lock"),
    record(0x200 | 0x40000000, "a-directory"),
    record(0x4000, ""),
    record(0x8000, ""),
  ];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  const out: DirWatchEvent[] = [];
  parseEvents(bytes, out);
  assertEquals(out, [
    { kind: "created", name: "abc.lock" },
    { kind: "removed", name: "a-directory" },
    { kind: "overflow" },
    { kind: "gone" },
  ]);
});
