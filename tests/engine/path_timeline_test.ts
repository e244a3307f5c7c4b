/**
 * The per-path timeline of a run: the first detection wins; a push is
 * recorded once, with the phase that carried it. It is bounded: a long
 * session keeps the most recent paths it pushed while streaming, never the
 * ones still pending or the final push's.
 */

import { PathTimeline } from "../../src/engine/path_timeline.ts";
import { assertEquals } from "../helpers/assert.ts";

const P = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-p";

Deno.test("PathTimeline keeps the first detection and the first push, with the pushing phase", () => {
  const t = new PathTimeline();
  t.detected(P, 10, "incremental");
  t.detected(P, 99, "final");
  t.queued(P, 20);
  t.queued(P, 98);
  t.pushed(P, 30, "final");
  t.pushed(P, 97, "incremental");
  assertEquals(t.records(), [{
    path: P,
    detectedAt: 10,
    queuedAt: 20,
    pushedAt: 30,
    phase: "final",
  }]);
});

Deno.test("PathTimeline records a push of a path never detected as detected, queued and pushed at once", () => {
  const t = new PathTimeline();
  t.pushed(P, 50, "final");
  assertEquals(t.records(), [{
    path: P,
    detectedAt: 50,
    queuedAt: 50,
    pushedAt: 50,
    phase: "final",
  }]);
});

const path = (i: number) => `/nix/store/${String(i).padStart(32, "0")}-p${i}`;

Deno.test("a timeline keeps the most recent streamed records and counts the dropped ones", () => {
  const timeline = new PathTimeline({ keep: 3 });
  for (let i = 0; i < 5; i++) {
    timeline.detected(path(i), i, "incremental");
    timeline.pushed(path(i), i + 0.5, "incremental");
  }
  assertEquals(timeline.records().map((r) => r.path), [path(2), path(3), path(4)]);
  assertEquals(timeline.dropped, 2);
});

Deno.test("pending paths and the final push's are kept whatever the bound", () => {
  const timeline = new PathTimeline({ keep: 1 });
  timeline.detected(path(0), 0, "incremental"); // pending: never pushed while streaming
  for (let i = 1; i < 4; i++) timeline.pushed(path(i), i, "incremental");
  timeline.pushed(path(0), 9, "final"); // the final push delivers it
  for (let i = 4; i < 7; i++) timeline.pushed(path(i), i, "final");
  const kept = timeline.records().map((r) => [r.path, r.phase]);
  assertEquals(kept, [
    [path(0), "final"],
    [path(3), "incremental"],
    [path(4), "final"],
    [path(5), "final"],
    [path(6), "final"],
  ]);
  assertEquals(timeline.dropped, 2);
});

Deno.test("a path pushed twice is dropped at most once", () => {
  const timeline = new PathTimeline({ keep: 1 });
  timeline.pushed(path(0), 1, "incremental");
  timeline.pushed(path(0), 2, "incremental");
  assertEquals(timeline.dropped, 0);
  assertEquals(timeline.records().length, 1);
});
