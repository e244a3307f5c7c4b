/**
 * Report: the honest account at the end. The first line is always
 * `watch-store pushed N store paths incrementally` (users grep for it); the
 * details follow. The JSON report is the machine-readable twin. Neither ever
 * contains a secret.
 *
 * @module
 */

import type { TransferStats } from "../backends/push_backend.ts";
import type { FinalPushResult } from "../engine/final_push.ts";
import type { PathRecord, PathTimeline } from "../engine/path_timeline.ts";
import type { PushCall } from "../engine/push_scheduler.ts";
import type { StorePath } from "../store/store_path.ts";
import type { ResourceUse } from "../system/system.ts";
import type { SessionSummary } from "./session_summary.ts";
import { formatSubstitution, type Substitution } from "./substitution.ts";

/** The JSON report's schema identifier. */
export const REPORT_SCHEMA = "attic-ci/report@1";

/** Everything a run reports. */
export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly command: string;
  readonly backend: string;
  /** Where the paths went (no secret). */
  readonly target: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** `exec`: the command's status; otherwise the helper's own exit code. */
  readonly exitCode: number | null;
  /** How the attic client was obtained, when the attic backend is used. */
  readonly bootstrap: { mode: string; reason: string; seconds: number } | null;
  /** Paths pushed while streaming. */
  readonly incremental: number;
  /** Paths pushed by the final push. */
  readonly finalPush: number;
  /** `incremental + finalPush`. */
  readonly pushed: number;
  readonly finalPushDetail: { outLinks: number; reconciled: number; given: number };
  /** Valid paths recorded while no attic client was available. */
  readonly deferred: number;
  /**
   * What the store shows of the paths that appeared: substituted (from the
   * cache, by its key) or built here; null when no baseline was taken.
   */
  readonly substitution: Substitution | null;
  /** Pushing was off (no token): why, and how many paths were left unpushed; null when it was on. */
  readonly pushOff: { readonly reason: string; readonly left: number } | null;
  readonly skipped: { invalid: number; derivations: number; excluded: number };
  /**
   * How paths were told to be this job's, and how many others appeared and
   * were left alone: another job's (`foreign`), or not attributable.
   */
  readonly attribution: { mode: string; foreign: number; unattributed: number };
  /** Store paths that could not be pushed. */
  readonly failed: StorePath[];
  /** Last error per failed path. */
  readonly failures: Record<StorePath, string>;
  readonly retries: number;
  /** Pushed paths the state directory could not record (a full disk). */
  readonly unrecorded: number;
  readonly pushInvocations: number;
  readonly rescans: number;
  readonly drainSeconds: number;
  /**
   * Listing the store, which scales with its size: for the baseline at the
   * start and for the reconcile at the end (null where none was taken).
   */
  readonly storeListing: { baselineSeconds: number | null; reconcileSeconds: number | null };
  readonly resources: ResourceUse;
  /** Per-path timestamps (a long session keeps the most recent 10,000 streamed ones). */
  readonly paths: PathRecord[];
  /** Push calls, streaming first, then the final push (a long session keeps the last 2,000). */
  readonly pushCalls: ReportedPushCall[];
  /** How many streamed records `paths` and `pushCalls` leave out (counted above all the same). */
  readonly omitted: { paths: number; pushCalls: number };
  /** What the built-in Attic client transferred; null for the attic CLI and nix-copy. */
  readonly transfer: TransferStats | null;
  /** When the end's steps ran (the timeline picture draws them); added in 0.1.0. */
  readonly phases: ReportPhases;
  /** How the build was started (`exec`, `build`); null for a run that started none. */
  readonly startup: ReportStartup | null;
}

/**
 * What came before the build, in epoch milliseconds: the helper's own
 * start-up (Deno's, and loading its code) ends at `helperStartedAt`; the
 * set-up that the build waits for (the cache's configuration for the pull
 * side, the store watch) ends at `buildStartedAt`.
 */
export interface ReportStartup {
  /** When the helper's code began to run. */
  readonly helperStartedAt: number;
  /** When it started the build. */
  readonly buildStartedAt: number;
  /** The helper's CPU seconds by then: the rest of `resources.cpuSeconds` went to pushing. */
  readonly cpuSeconds: number;
}

/**
 * When the build ended and the end's steps ran, in epoch milliseconds; null
 * for a step that did not run in this report's session (a `push` alone has no
 * build, a watcher that was gone had no drain).
 */
export interface ReportPhases {
  /**
   * `exec`/`build`: when the command ended; `stop` (and a `push` that stopped a
   * watcher): when the watcher was told to stop, the end of the job's script.
   */
  readonly buildEndedAt: number | null;
  readonly drainStartedAt: number | null;
  readonly drainEndedAt: number | null;
  readonly finalPushStartedAt: number | null;
  readonly finalPushEndedAt: number | null;
}

/** Phases of a report that records none. */
export const NO_PHASES: ReportPhases = {
  buildEndedAt: null,
  drainStartedAt: null,
  drainEndedAt: null,
  finalPushStartedAt: null,
  finalPushEndedAt: null,
};

/** A push call in the report, with the phase it belongs to. */
export interface ReportedPushCall extends PushCall {
  readonly phase: "incremental" | "final";
}

/** How each attribution mode tells a job's paths, for the report. */
const ATTRIBUTION_WAYS: Record<string, string> = {
  process: "its Nix processes rooted them",
  closure: "the derivation closure of its installables",
  "out-links": "the closures of its result* out-links",
};

/** Push calls listed one per line (in a collapsed section) before "… and N more". */
const CALL_LINES = 500;

/** One line per push call, for the collapsible section after the summary. */
export function formatPushCalls(calls: readonly ReportedPushCall[]): string[] {
  const lines = calls.slice(0, CALL_LINES).map((call) => {
    const at = new Date(call.startedAt).toISOString().slice(11, 23);
    const outcome = call.error === null ? "ok" : `failed: ${call.error}`;
    return `${at} ${call.phase.padEnd(11)} ${String(call.paths).padStart(4)} path(s) ` +
      `${call.seconds.toFixed(2).padStart(7)} s  ${outcome}`;
  });
  if (calls.length > CALL_LINES) lines.push(`… and ${calls.length - CALL_LINES} more`);
  return lines;
}

/** The report as lines for the log; the first is the grep-able summary. */
export function formatReport(report: Report): { summary: string; details: string[] } {
  const fp = report.finalPushDetail;
  const details = [
    `final push: ${report.finalPush} store paths (${fp.outLinks} from result* out-links, ` +
    `${fp.reconciled} found by reconcile, ${fp.given} given)`,
    `skipped: ${report.skipped.invalid} invalid, ${report.skipped.derivations} .drv, ` +
    `${report.skipped.excluded} excluded`,
    `failed: ${report.failed.length}`,
    `retries: ${report.retries}; push calls: ${report.pushInvocations}; ` +
    `rescans: ${report.rescans}; draining took ${report.drainSeconds.toFixed(1)} s`,
  ];
  if (report.substitution !== null) details.unshift(formatSubstitution(report.substitution));
  const a = report.attribution;
  if (a.mode !== "all") {
    details.push(
      `attribution: only this job's paths (${ATTRIBUTION_WAYS[a.mode] ?? a.mode}); ` +
        `${a.foreign} other paths appeared on the store and were left alone` +
        (a.unattributed > 0
          ? `, ${a.unattributed} could not be told apart and were not streamed`
          : ""),
    );
  }
  if (report.pushOff !== null) {
    details.push(
      `pushing was off (${report.pushOff.reason}): ${report.pushOff.left} store paths were ` +
        "not pushed",
    );
  }
  const t = report.transfer;
  if (t !== null) {
    details.push(
      `built-in client: ${t.uploaded} uploaded (${(t.uploadedBytes / 1024 / 1024).toFixed(1)} ` +
        `MiB), ${t.alreadyCached} already cached, ${t.fromUpstream} from upstream, ` +
        `${t.requestRetries} request retries`,
    );
  }
  if (report.unrecorded > 0) {
    details.push(
      `not recorded: ${report.unrecorded} pushed paths (the state directory could not be written)`,
    );
  }
  if (report.deferred > 0 && report.pushOff === null) {
    details.splice(
      1,
      0,
      `deferred: ${report.deferred} paths recorded while no attic client was available`,
    );
  }
  details.push(...failureLines(report));
  return {
    summary: `watch-store pushed ${report.incremental} store paths incrementally`,
    details,
  };
}

/** Failed paths listed; beyond that, "… and N more". */
const FAILURE_LINES = 20;

/**
 * One line per failed path with its reason, except that paths failing for the
 * same reason (a refused token fails them all) share one line.
 */
function failureLines(report: Report): string[] {
  const byReason = new Map<string, StorePath[]>();
  for (const path of report.failed) {
    const reason = report.failures[path] ?? "unknown error";
    byReason.set(reason, [...(byReason.get(reason) ?? []), path]);
  }
  const lines: string[] = [];
  let listed = 0;
  for (const [reason, paths] of byReason) {
    if (lines.length === FAILURE_LINES) break;
    lines.push(
      paths.length === 1
        ? `  not pushed: ${paths[0]}: ${reason}`
        : `  not pushed: ${paths.length} paths (${paths[0]}, …): ${reason}`,
    );
    listed += paths.length;
  }
  if (listed < report.failed.length) lines.push(`  … and ${report.failed.length - listed} more`);
  return lines;
}

/** What a run brings to {@linkcode buildReport}. */
export interface ReportInputs {
  readonly command: string;
  readonly backend: string;
  /** Where the paths went (no secret). */
  readonly target: string;
  readonly summary: SessionSummary;
  readonly final: FinalPushResult;
  readonly timeline: PathTimeline;
  readonly exitCode: number | null;
  readonly endedAt: number;
  readonly resources: ResourceUse;
  /** What the backend of this process transferred, where it counts (the built-in client). */
  readonly transfer: TransferStats | null;
  /** The paths that appeared, by origin; null without a baseline. */
  readonly substitution: Substitution | null;
  /** When the build ended and the end's steps ran. @default {@linkcode NO_PHASES} */
  readonly phases?: ReportPhases;
  /** How the build was started. @default null (no build) */
  readonly startup?: ReportStartup | null;
}

/** The sum of two transfer counts, either of which may be absent. */
function addTransfers(a: TransferStats | null, b: TransferStats | null): TransferStats | null {
  if (a === null || b === null) return a ?? b;
  return {
    uploaded: a.uploaded + b.uploaded,
    uploadedBytes: a.uploadedBytes + b.uploadedBytes,
    alreadyCached: a.alreadyCached + b.alreadyCached,
    fromUpstream: a.fromUpstream + b.fromUpstream,
    requestRetries: a.requestRetries + b.requestRetries,
  };
}

/** Joins the streaming summary and the final push into the report. */
export function buildReport(inputs: ReportInputs): Report {
  const { summary, final, timeline } = inputs;
  const failures: Record<string, string> = {};
  const delivered = new Set(
    timeline.records().filter((r) => r.pushedAt !== null).map((r) => r.path),
  );
  // Paths the streaming failed but the final push delivered are not failures.
  for (const [path, why] of Object.entries(summary.failures)) {
    if (!delivered.has(path)) failures[path] = why;
  }
  for (const [path, why] of final.failed) failures[path] = why;
  const invalid = new Set([...summary.invalid, ...final.invalid]);
  return {
    schema: REPORT_SCHEMA,
    command: inputs.command,
    backend: inputs.backend,
    target: inputs.target,
    startedAt: summary.startedAt,
    endedAt: inputs.endedAt,
    exitCode: inputs.exitCode,
    bootstrap: summary.bootstrap,
    incremental: summary.incremental,
    finalPush: final.pushed,
    pushed: summary.incremental + final.pushed,
    finalPushDetail: { outLinks: final.outLinks, reconciled: final.reconciled, given: final.given },
    deferred: summary.deferred,
    substitution: inputs.substitution,
    pushOff: summary.bootstrap?.mode === "off"
      ? { reason: summary.bootstrap.reason, left: final.left }
      : null,
    attribution: {
      mode: summary.attribution,
      // The streaming counted what it saw; the reconcile what it found (the larger, where both ran).
      foreign: Math.max(summary.foreign, final.notOurs - summary.unattributed),
      unattributed: summary.unattributed,
    },
    skipped: {
      invalid: invalid.size,
      derivations: Math.max(summary.derivations, final.derivations),
      excluded: Math.max(summary.excluded, final.excluded),
    },
    failed: Object.keys(failures).sort(),
    failures,
    retries: summary.retries + final.retries,
    unrecorded: summary.unrecorded + final.unrecorded,
    pushInvocations: summary.pushInvocations + final.invocations,
    rescans: summary.rescans,
    drainSeconds: summary.drainSeconds,
    storeListing: {
      baselineSeconds: summary.baselineSeconds,
      reconcileSeconds: final.reconcileSeconds,
    },
    resources: inputs.resources,
    paths: timeline.records(),
    pushCalls: [
      ...summary.pushCalls.map((call) => ({ ...call, phase: "incremental" as const })),
      ...final.calls.map((call) => ({ ...call, phase: "final" as const })),
    ],
    omitted: { ...summary.omitted },
    transfer: addTransfers(summary.transfer, inputs.transfer),
    phases: inputs.phases ?? NO_PHASES,
    startup: inputs.startup ?? null,
  };
}
