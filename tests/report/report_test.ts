/**
 * The report: built from the streaming summary and the final push (pure:
 * time and resource use come in), and its lines for the log.
 */

import { emptyFinalPushResult, type FinalPushResult } from "../../src/engine/final_push.ts";
import { PathTimeline } from "../../src/engine/path_timeline.ts";
import { buildReport, formatPushCalls, formatReport, NO_PHASES } from "../../src/report/report.ts";
import { emptySummary, type SessionSummary } from "../../src/report/session_summary.ts";
import type { TransferStats } from "../../src/backends/push_backend.ts";
import { assertEquals, assertIncludes } from "../helpers/assert.ts";

const A = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-a";
const B = "/nix/store/1123456789abcdfghijklmnpqrsvwxyz-b";
const C = "/nix/store/2123456789abcdfghijklmnpqrsvwxyz-c";

function final(overrides: Partial<FinalPushResult> = {}): FinalPushResult {
  return { ...emptyFinalPushResult(), ...overrides };
}

function report(
  summary: SessionSummary,
  fin: FinalPushResult,
  timeline = new PathTimeline(),
  transfer: TransferStats | null = null,
) {
  return buildReport({
    command: "exec",
    backend: "nix-copy",
    target: "file:///cache",
    summary,
    final: fin,
    timeline,
    exitCode: 0,
    endedAt: 5_000,
    resources: { peakRssBytes: 1024, cpuSeconds: 0.5 },
    transfer,
    substitution: null,
  });
}

Deno.test("buildReport() adds the final push to the streaming, and a path the final push delivered is no failure", () => {
  const timeline = new PathTimeline();
  timeline.detected(A, 10, "incremental");
  timeline.pushed(A, 20, "incremental");
  timeline.detected(B, 30, "final");
  timeline.pushed(B, 40, "final");
  const summary: SessionSummary = {
    ...emptySummary(1_000),
    incremental: 1,
    failures: { [B]: "cache down", [C]: "cache down" },
    invalid: [C],
    pushCalls: [{ startedAt: 15, seconds: 0.1, paths: 1, error: null }],
  };
  const r = report(
    summary,
    final({
      pushed: 1,
      reconciled: 1,
      invalid: [C],
      calls: [{ startedAt: 35, seconds: 0.2, paths: 1, error: null }],
    }),
    timeline,
  );
  assertEquals([r.incremental, r.finalPush, r.pushed], [1, 1, 2]);
  assertEquals(r.failed, [C], "B was delivered by the final push; C never was");
  assertEquals(r.skipped.invalid, 1, "an invalid path counts once");
  assertEquals(r.pushCalls.map((c) => c.phase), ["incremental", "final"]);
  assertEquals([r.startedAt, r.endedAt, r.resources.peakRssBytes], [1_000, 5_000, 1024]);
  assertEquals(r.paths.map((p) => [p.path, p.phase]), [[A, "incremental"], [B, "final"]]);
});

Deno.test("buildReport() says how long listing the store took at the start and at the reconcile", () => {
  const streamed = report(
    { ...emptySummary(0), baselineSeconds: 0.25 },
    final({ reconcileSeconds: 0.5 }),
  );
  assertEquals(streamed.storeListing, { baselineSeconds: 0.25, reconcileSeconds: 0.5 });
  const pushAlone = report(emptySummary(0), final());
  assertEquals(pushAlone.omitted, { paths: 0, pushCalls: 0 });
  assertEquals(pushAlone.storeListing, { baselineSeconds: null, reconcileSeconds: null });
});

Deno.test("formatReport() starts with the exact summary line users grep for, then the details", () => {
  const r = report(
    { ...emptySummary(0), incremental: 37, deferred: 2 },
    final({
      pushed: 3,
      outLinks: 1,
      reconciled: 2,
      failed: new Map([[A, "HTTP 500"]]),
    }),
  );
  const { summary, details } = formatReport(r);
  assertEquals(summary, "watch-store pushed 37 store paths incrementally");
  assertEquals(
    details[0],
    "final push: 3 store paths (1 from result* out-links, 2 found by reconcile, 0 given)",
  );
  assertEquals(details[1], "deferred: 2 paths recorded while no attic client was available");
  assertIncludes(details.join("\n"), `  not pushed: ${A}: HTTP 500`);
});

Deno.test("formatPushCalls() gives one line per call with its phase and outcome, and stops at 500", () => {
  const calls = Array.from({ length: 502 }, (_, i) => ({
    startedAt: Date.UTC(2026, 10, 23, 12, 0, 0, i),
    seconds: 0.25,
    paths: i,
    error: i === 1 ? "exit 1" : null,
    phase: "incremental" as const,
  }));
  const lines = formatPushCalls(calls);
  assertEquals(lines.length, 501);
  assertEquals(lines[0], "12:00:00.000 incremental    0 path(s)    0.25 s  ok");
  assertEquals(lines[1], "12:00:00.001 incremental    1 path(s)    0.25 s  failed: exit 1");
  assertEquals(lines[500], "… and 2 more");
});

Deno.test("buildReport() passes on how many records a long session left out", () => {
  const r = report({ ...emptySummary(0), omitted: { paths: 12, pushCalls: 3 } }, final());
  assertEquals(r.omitted, { paths: 12, pushCalls: 3 });
});

Deno.test("the built-in client's counts of a watcher and of the process that ends its session add up, and are listed", () => {
  const watcher: TransferStats = {
    uploaded: 3,
    uploadedBytes: 3 * 1024 * 1024,
    alreadyCached: 2,
    fromUpstream: 1,
    requestRetries: 4,
  };
  const atEnd: TransferStats = {
    uploaded: 1,
    uploadedBytes: 1024 * 1024,
    alreadyCached: 0,
    fromUpstream: 0,
    requestRetries: 1,
  };
  const built = report(
    { ...emptySummary(0), transfer: watcher },
    final(),
    new PathTimeline(),
    atEnd,
  );
  assertEquals(built.transfer, {
    uploaded: 4,
    uploadedBytes: 4 * 1024 * 1024,
    alreadyCached: 2,
    fromUpstream: 1,
    requestRetries: 5,
  });
  assertIncludes(
    formatReport(built).details.join("\n"),
    "built-in client: 4 uploaded (4.0 MiB), 2 already cached, 1 from upstream, 5 request retries",
  );
  assertEquals(report(emptySummary(0), final()).transfer, null);
});

Deno.test("paths that failed for the same reason share one line in the report", () => {
  const summary = {
    ...emptySummary(0),
    failures: { [A]: "refused (401)", [B]: "refused (401)", [C]: "HTTP 500" },
  };
  const details = formatReport(report(summary, final())).details;
  const failed = details.filter((line) => line.startsWith("  not pushed"));
  assertEquals(failed, [
    `  not pushed: 2 paths (${A}, …): refused (401)`,
    `  not pushed: ${C}: HTTP 500`,
  ]);
});

Deno.test("buildReport() passes on when the build ended and the end's steps ran, or none", () => {
  assertEquals(report(emptySummary(0), final()).phases, NO_PHASES);
  const phases = {
    buildEndedAt: 100,
    drainStartedAt: 101,
    drainEndedAt: 150,
    finalPushStartedAt: 151,
    finalPushEndedAt: 170,
  };
  const built = buildReport({
    command: "build",
    backend: "nix-copy",
    target: "file:///cache",
    summary: emptySummary(0),
    final: final(),
    timeline: new PathTimeline(),
    exitCode: 0,
    endedAt: 200,
    resources: { peakRssBytes: 1, cpuSeconds: 0 },
    transfer: null,
    substitution: null,
    phases,
  });
  assertEquals(built.phases, phases);
});
