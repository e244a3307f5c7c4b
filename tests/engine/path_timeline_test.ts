/**
 * The per-path timeline of a run: the first detection wins; a push is
 * recorded once, with the phase that carried it.
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
