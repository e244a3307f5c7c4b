/**
 * Reports made up for the picture, metrics and dotenv tests: a build of N
 * store paths, each finished (its lock released) while the build runs and
 * cached a moment later, the last few by the final push after the drain, a
 * few failed. Deterministic: the same options give the same report.
 *
 * @module
 */

import { type Report, REPORT_SCHEMA } from "../../src/report/report.ts";

/** Options of {@linkcode syntheticReport}. */
export interface SyntheticReportOptions {
  /** How long the build runs. @default 60 */
  readonly buildSeconds?: number;
  /** Paths that failed to push. @default 2 */
  readonly failed?: number;
  /** The share of paths the final push carried. @default 0.1 */
  readonly finalShare?: number;
  /** Name one path `<script>…` to check the escaping. @default false */
  readonly hostileName?: boolean;
  /** The report's command. @default "build" */
  readonly command?: string;
}

/** A store path of the demo graph's shape, with a made-up hash. */
export function demoPath(i: number): string {
  const alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
  let hash = "";
  let x = i * 2654435761 + 12345;
  for (let k = 0; k < 32; k++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    hash += alphabet[x % 32];
  }
  return `/nix/store/${hash}-attic-ci-demo-c0ffee-l${Math.floor(i / 6)}n${i % 6}`;
}

/** The hostile name {@linkcode SyntheticReportOptions.hostileName} gives one path. */
export const HOSTILE_NAME = `<b onload="alert('x')">&amp;<i`;

/** A report of `n` paths; see the module documentation. */
export function syntheticReport(n: number, options: SyntheticReportOptions = {}): Report {
  const start = 1_763_900_000_000;
  const build = (options.buildSeconds ?? 60) * 1000;
  const buildEnd = start + build;
  const drainEnd = buildEnd + 1_800;
  const finalStart = drainEnd + 100;
  const finalEnd = finalStart + 2_400;
  const failedCount = options.failed ?? 2;
  const finalCount = Math.round(n * (options.finalShare ?? 0.1));
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const failing = new Set(
    Array.from({ length: failedCount }, (_, k) => Math.floor(((k + 1) * n) / (failedCount + 2))),
  );
  const paths: Report["paths"] = [];
  const failed: string[] = [];
  const failures: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    let path = demoPath(i);
    if (options.hostileName && i === 1) path = `/nix/store/${"x".repeat(32)}-${HOSTILE_NAME}`;
    const isFinal = i >= n - finalCount;
    const isFailed = !isFinal && failing.has(i);
    const detectedAt = isFinal
      ? finalStart + 200 + random() * 1_000
      : start + ((i + 1) / (n + 1)) * build * 0.97 + random() * 400;
    const pushedAt = isFailed
      ? null
      : isFinal
      ? finalEnd - 300 + random() * 200
      : detectedAt + 300 + random() * (i % 17 === 3 ? 9_000 : 2_500);
    if (isFailed) {
      failed.push(path);
      failures[path] = "attic push exited with 1: HTTP 500 Internal Server Error";
    }
    paths.push({
      path,
      detectedAt,
      queuedAt: detectedAt + 50,
      pushedAt: pushedAt === null ? null : Math.min(pushedAt, isFinal ? finalEnd : drainEnd),
      phase: isFinal ? "final" : "incremental",
    });
  }
  const incremental = paths.filter((p) => p.pushedAt !== null && p.phase === "incremental").length;
  const finalPush = paths.filter((p) => p.phase === "final").length;
  return {
    schema: REPORT_SCHEMA,
    command: options.command ?? "build",
    backend: "attic",
    target: "attic-ci:main (https://attic.example.com/)",
    startedAt: start,
    endedAt: finalEnd + 200,
    exitCode: 0,
    bootstrap: { mode: "built-in", reason: "no attic client", seconds: 0.4 },
    incremental,
    finalPush,
    pushed: incremental + finalPush,
    finalPushDetail: { outLinks: 1, reconciled: finalPush - 1, given: 0 },
    deferred: 0,
    substitution: { substituted: 14, fromCache: 12, built: n, cacheKey: "main-1" },
    pushOff: null,
    skipped: { invalid: 0, derivations: n, excluded: 0 },
    attribution: { mode: "process", foreign: 3, unattributed: 0 },
    failed: failed.sort(),
    failures,
    retries: failed.length * 3,
    unrecorded: 0,
    pushInvocations: Math.ceil(n / 10),
    rescans: 0,
    drainSeconds: (drainEnd - buildEnd) / 1000,
    storeListing: { baselineSeconds: 0.1, reconcileSeconds: 0.2 },
    resources: { peakRssBytes: 80 * 1024 * 1024, cpuSeconds: 3.2 },
    paths,
    pushCalls: [],
    omitted: { paths: 0, pushCalls: 0 },
    transfer: {
      uploaded: incremental + finalPush,
      uploadedBytes: (incremental + finalPush) * 181_000,
      alreadyCached: 2,
      fromUpstream: 0,
      requestRetries: 1,
    },
    phases: {
      buildEndedAt: buildEnd,
      drainStartedAt: buildEnd,
      drainEndedAt: drainEnd,
      finalPushStartedAt: finalStart,
      finalPushEndedAt: finalEnd,
    },
    startup: { helperStartedAt: start - 90, buildStartedAt: start + 30, cpuSeconds: 0.2 },
  };
}
