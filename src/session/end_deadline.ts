/**
 * The deadline of a run's end: the drain, the final push and the report fit
 * the end budget (after_script's timeout, or `--finish-within`), with a
 * reserve kept for the report, so the job's log always ends with it. Each
 * step asks how long it may take; what cannot be pushed in time is named and
 * left to a later `push`.
 *
 * @module
 */

import type { EndBudget } from "../options/end_budget.ts";
import type { Clock } from "../system/clock.ts";

/** The report's reserve: 10 s, or a fifth of a small budget. */
const RESERVE_MS = 10_000;

/** When the end of a run must be done. */
export class EndDeadline {
  readonly #clock: Clock;
  readonly #budget: EndBudget | null;
  /** Epoch ms by which the work must be done (the report's reserve kept); Infinity: none. */
  readonly workUntil: number;

  /** @param budget the end budget, or null for none; @param clock the time */
  constructor(budget: EndBudget | null, clock: Clock) {
    this.#clock = clock;
    this.#budget = budget;
    if (budget === null) {
      this.workUntil = Infinity;
      return;
    }
    const end = (budget.startedAt ?? clock.now()) + budget.ms;
    this.workUntil = end - Math.min(RESERVE_MS, budget.ms / 5);
  }

  /** Whether there is a deadline at all. */
  get limited(): boolean {
    return this.#budget !== null;
  }

  /** Milliseconds of work left (0 once passed); Infinity without a deadline. */
  get leftMs(): number {
    return Math.max(0, this.workUntil - this.#clock.now());
  }

  /** `ms`, or less when the deadline comes first. */
  cap(ms: number): number {
    return Math.min(ms, this.leftMs);
  }

  /** The log line that says what the end fits in; null without a deadline. */
  describe(): string | null {
    const budget = this.#budget;
    if (budget === null) return null;
    const used = budget.startedAt === null
      ? ""
      : `, ${Math.max(0, (this.#clock.now() - budget.startedAt) / 1000).toFixed(0)} s used already`;
    return `finishing within ${(this.leftMs / 1000).toFixed(0)} s: ${budget.source}${used}, ` +
      `with time kept for the report`;
  }
}
