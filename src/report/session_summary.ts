/**
 * What a streaming session hands to the report: its counters, failures,
 * push calls and timeline. The detached watcher writes it to the state
 * directory (as `watcher-report.json`) so `stop` can finish the report in
 * another process.
 *
 * @module
 */

import type { BootstrapResult } from "../attic/bootstrap.ts";
import type { TransferStats } from "../backends/push_backend.ts";
import type { PathRecord } from "../engine/path_timeline.ts";
import type { PushCall } from "../engine/push_scheduler.ts";
import type { StreamingSession } from "../engine/streaming_session.ts";
import type { PathTimeline } from "../engine/path_timeline.ts";

/** The streaming part of a report. */
export interface SessionSummary {
  readonly startedAt: number;
  /** How long the baseline listing of the store took; null when no session streamed. */
  readonly baselineSeconds: number | null;
  readonly incremental: number;
  readonly deferred: number;
  readonly derivations: number;
  readonly excluded: number;
  /** How paths were told to be this job's (`process`, `closure`, `out-links`, `all`). */
  readonly attribution: string;
  /** Paths another job built or fetched, left alone. */
  readonly foreign: number;
  /** Paths whose job could not be told, not streamed. */
  readonly unattributed: number;
  readonly invalid: string[];
  readonly failures: Record<string, string>;
  readonly retries: number;
  readonly pushInvocations: number;
  readonly rescans: number;
  readonly drainSeconds: number;
  readonly bootstrap: Pick<BootstrapResult, "mode" | "reason" | "seconds"> | null;
  readonly paths: PathRecord[];
  /** Every push call while streaming. */
  readonly pushCalls: readonly PushCall[];
  /** Pushed paths the ledger could not record (a full disk). */
  readonly unrecorded: number;
  /** Records left out of `paths` and `pushCalls` to bound a long session's memory. */
  readonly omitted: { readonly paths: number; readonly pushCalls: number };
  /**
   * What the built-in Attic client of another process (the detached watcher)
   * transferred; null otherwise (a live session's backend is asked at the end).
   */
  readonly transfer: TransferStats | null;
}

/** When a session started. */
export interface SessionStart {
  readonly startedAt: number;
}

/** Summarises a drained session. */
export function summarize(
  session: StreamingSession,
  timeline: PathTimeline,
  start: SessionStart,
  bootstrap: BootstrapResult | null,
  transfer: TransferStats | null = null,
): SessionSummary {
  const c = session.counters;
  return {
    attribution: session.attributionMode,
    foreign: c.foreign,
    unattributed: c.unattributed,
    startedAt: start.startedAt,
    baselineSeconds: session.baselineSeconds,
    incremental: c.pushed,
    deferred: c.deferred,
    derivations: c.derivations,
    excluded: c.excluded,
    invalid: [...session.invalid],
    failures: Object.fromEntries(session.failed),
    retries: session.pushStats.retries,
    pushInvocations: session.pushStats.invocations,
    rescans: c.rescans,
    drainSeconds: c.drainSeconds,
    bootstrap: bootstrap && {
      mode: bootstrap.mode,
      reason: bootstrap.reason,
      seconds: bootstrap.seconds,
    },
    paths: timeline.records(),
    pushCalls: [...session.pushCalls],
    unrecorded: session.unrecorded,
    omitted: { paths: timeline.dropped, pushCalls: session.droppedCalls },
    transfer,
  };
}

/** The summary of a session that never ran (e.g. `push` on its own). */
export function emptySummary(startedAt: number): SessionSummary {
  return {
    startedAt,
    baselineSeconds: null,
    incremental: 0,
    deferred: 0,
    derivations: 0,
    excluded: 0,
    attribution: "all",
    foreign: 0,
    unattributed: 0,
    invalid: [],
    failures: {},
    retries: 0,
    pushInvocations: 0,
    rescans: 0,
    drainSeconds: 0,
    bootstrap: null,
    paths: [],
    pushCalls: [],
    unrecorded: 0,
    omitted: { paths: 0, pushCalls: 0 },
    transfer: null,
  };
}
