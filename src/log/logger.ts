/**
 * Plain, stable log lines for people reading a CI log, with collapsible
 * sections in GitLab for the verbose parts. Everything goes to stderr so the
 * wrapped build keeps stdout to itself.
 *
 * This folder imports only `system/`.
 *
 * @module
 */

import { type Clock, systemClock } from "../system/clock.ts";

/** Where log lines go. */
export interface Logger {
  /** A line exactly as given, without prefix (the grep-able summary). */
  plain(line: string): void;
  /** A normal line. */
  info(line: string): void;
  /** A problem that does not stop the build (it is loud, not fatal). */
  warn(line: string): void;
  /** Opens a collapsible section (GitLab) or prints its title. */
  sectionStart(id: string, title: string): void;
  /** Closes the section opened with the same id. */
  sectionEnd(id: string): void;
  /** Whether sections fold (GitLab): long detail is only worth printing where it does. */
  readonly folds: boolean;
}

/** Options of {@linkcode TextLogger}. */
export interface TextLoggerOptions {
  /** Timestamps of the section markers. @default systemClock */
  readonly clock?: Clock;
  /** Emit GitLab's collapsible-section markers. @default false */
  readonly gitlabSections?: boolean;
  /** Prefix of every line. @default "attic-ci: " */
  readonly prefix?: string;
}

/** A {@linkcode Logger} writing lines through a function (stderr in the CLI). */
export class TextLogger implements Logger {
  readonly #write: (text: string) => void;
  readonly #sections: boolean;
  readonly #prefix: string;
  readonly #clock: Clock;

  /** @param write receives whole lines with their newline */
  constructor(write: (text: string) => void, options: TextLoggerOptions = {}) {
    this.#write = write;
    this.#sections = options.gitlabSections ?? false;
    this.#prefix = options.prefix ?? "attic-ci: ";
    this.#clock = options.clock ?? systemClock;
  }

  /** True when GitLab's collapsible-section markers are written. */
  get folds(): boolean {
    return this.#sections;
  }

  /** Writes the line as it is. */
  plain(line: string): void {
    this.#write(`${line}\n`);
  }

  /** Writes `attic-ci: line`. */
  info(line: string): void {
    this.#write(`${this.#prefix}${line}\n`);
  }

  /** Writes `attic-ci: warning: line`. */
  warn(line: string): void {
    this.#write(`${this.#prefix}warning: ${line}\n`);
  }

  /** GitLab: `section_start` marker (collapsed); elsewhere the title alone. */
  sectionStart(id: string, title: string): void {
    if (!this.#sections) return this.info(title);
    const now = Math.floor(this.#clock.now() / 1000);
    this.#write(`\x1b[0Ksection_start:${now}:attic_ci_${id}[collapsed=true]\r\x1b[0K${title}\n`);
  }

  /** GitLab: `section_end` marker; elsewhere nothing. */
  sectionEnd(id: string): void {
    if (!this.#sections) return;
    const now = Math.floor(this.#clock.now() / 1000);
    // The newline ends the marker's line: text after it on the same line would be eaten by it.
    this.#write(`\x1b[0Ksection_end:${now}:attic_ci_${id}\r\x1b[0K\n`);
  }
}

/** A logger writing through `write` (the system's stderr); sections on when `GITLAB_CI` is set. */
export function ciLogger(
  write: (text: string) => void,
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock = systemClock,
): TextLogger {
  return new TextLogger(write, { gitlabSections: env.GITLAB_CI === "true", clock });
}
