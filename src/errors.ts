/**
 * The few domain errors of attic-ci. The exit code is decided in one place
 * (`cli/run.ts`) from these types, never deep inside the code.
 *
 * @module
 */

/**
 * Bad usage or configuration: names the option (flag or variable), what is
 * wrong and how to fix it. Always exits with code 2.
 *
 * @example
 * ```ts
 * throw new ConfigError("--to", "is required with --backend nix-copy", "pass --to file:///path/to/cache");
 * ```
 */
export class ConfigError extends Error {
  /** The flag or variable at fault, e.g. `--batch-idle` or `ATTIC_CI_BACKEND`. */
  readonly option: string;

  /** @param option the input at fault; @param problem what is wrong; @param fix how to fix it */
  constructor(option: string, problem: string, fix?: string) {
    super(`${option}: ${problem}${fix ? ` (${fix})` : ""}`);
    this.name = "ConfigError";
    this.option = option;
  }
}

/**
 * A file in the state directory that attic-ci cannot read as its own: not
 * JSON, another shape, or written by another helper version. Exits 2 like any
 * configuration error, naming the file and how to get out of it.
 */
export class StateFileError extends ConfigError {
  /** The file at fault. */
  readonly file: string;

  /** @param file the file; @param problem what is wrong with it */
  constructor(file: string, problem: string) {
    super(
      "--state-dir",
      `${file} ${problem}`,
      "remove it (or the whole state directory) if no attic-ci session uses it, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
    );
    this.name = "StateFileError";
    this.file = file;
  }
}

/**
 * The machine, not the input, stops attic-ci from caching: the state
 * directory cannot be used, the disk is full, the store cannot be read. A
 * command that wraps a build gives caching up with this one line and still
 * runs the build (unless `--strict`); elsewhere it exits 2 like a
 * configuration error.
 */
export class EnvironmentError extends Error {
  /** @param problem what cannot be done and why, one line; @param fix how to get out of it */
  constructor(problem: string, fix: string, options?: ErrorOptions) {
    super(`${problem} (${fix})`, options);
    this.name = "EnvironmentError";
  }
}

/** A child process (nix, attic) that exited unsuccessfully or could not start. */
export class CommandError extends Error {
  /** Exit code, or null when the process was killed by a signal or never started. */
  readonly code: number | null;
  /** The tail of the process's stderr, for the log. */
  readonly stderr: string;

  /** @param message what was being done; @param code exit code; @param stderr its stderr */
  constructor(message: string, code: number | null, stderr: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandError";
    this.code = code;
    this.stderr = stderr;
  }
}

/** The last non-empty lines of a command's stderr, for one-line log messages. */
export function stderrTail(stderr: string, lines = 3): string {
  return stderr.split("\n").map((l) => l.trim()).filter((l) => l.length > 0).slice(-lines)
    .join(" | ");
}
