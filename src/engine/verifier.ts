/**
 * Verify: only valid store paths go on. Candidates are checked in bulk: one
 * check for everything waiting, and what arrives meanwhile goes in the next
 * one — never one `nix-store` process per path.
 *
 * @module
 */

import type { StorePath } from "../store/store_path.ts";
import type { ValidityChecker } from "../store/validity_checker.ts";
import type { Clock } from "../system/clock.ts";

/** Where the verifier's results go. */
export interface VerifierSinks {
  /** Valid paths, checked at `at`. */
  valid(paths: readonly StorePath[], at: number): void;
  /** Invalid paths: failed builds' leftovers, or paths still being built. */
  invalid(paths: readonly StorePath[]): void;
  /** The check itself failed; these paths are left to the final push. */
  error(error: Error, paths: readonly StorePath[]): void;
}

/** The verify stage. */
export class Verifier {
  readonly #checker: ValidityChecker;
  readonly #sinks: VerifierSinks;
  readonly #clock: Clock;
  readonly #waiting = new Set<StorePath>();
  #checking = 0;
  #running: Promise<void> | null = null;

  /** @param checker how validity is checked; @param sinks where results go */
  constructor(checker: ValidityChecker, sinks: VerifierSinks, clock: Clock) {
    this.#checker = checker;
    this.#sinks = sinks;
    this.#clock = clock;
  }

  /** Paths waiting for, or in, a check. */
  get pending(): number {
    return this.#waiting.size + this.#checking;
  }

  /** Queues a candidate; a check starts at once unless one runs. */
  add(path: StorePath): void {
    this.#waiting.add(path);
    this.#running ??= this.#run();
  }

  /** Resolves once nothing waits or is being checked. */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #run(): Promise<void> {
    while (this.#waiting.size > 0) {
      const paths = [...this.#waiting];
      this.#waiting.clear();
      this.#checking = paths.length;
      try {
        const { valid, invalid } = await this.#checker.check(paths);
        if (valid.length > 0) this.#sinks.valid(valid, this.#clock.now());
        if (invalid.length > 0) this.#sinks.invalid(invalid);
      } catch (error) {
        this.#sinks.error(error instanceof Error ? error : new Error(String(error)), paths);
      } finally {
        this.#checking = 0;
      }
    }
    this.#running = null;
  }
}
