/**
 * How long the end of a run — drain, final push, report — may take. In a
 * GitLab job's after_script (where `CI_JOB_STATUS` is set), GitLab stops the
 * script after `RUNNER_AFTER_SCRIPT_TIMEOUT` (a Go duration such as `5m` or
 * `1h30m`; 5 minutes when unset), and what it kills is lost with the report.
 * `--finish-within SECONDS` says it anywhere.
 *
 * @module
 */

/** The time the end of a run may take. */
export interface EndBudget {
  readonly ms: number;
  /** Where it comes from, for the log. */
  readonly source: string;
  /** When it began (epoch ms), when earlier than this process: the after_script's start. */
  readonly startedAt: number | null;
}

/** GitLab's after_script timeout when `RUNNER_AFTER_SCRIPT_TIMEOUT` is not set. */
export const DEFAULT_AFTER_SCRIPT_MS = 5 * 60_000;

/**
 * The variable the templates set to the Unix time (seconds) at which
 * after_script began, before the helper step ran: the budget is GitLab's,
 * counted from there.
 */
export const AFTER_SCRIPT_STARTED_VARIABLE = "ATTIC_CI_AFTER_SCRIPT_STARTED";

const UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration (`300s`, `5m`, `1h30m`, `2.5m`; what GitLab's runner reads
 * from `RUNNER_AFTER_SCRIPT_TIMEOUT`) in milliseconds, or null when it is not one.
 */
export function parseGoDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) return null;
  return parts.reduce((ms, part) => ms + Number(part[1]) * UNITS_MS[part[2]!]!, 0);
}

/** The end budget of a run: `--finish-within`, else after_script's, else none. */
export function endBudget(
  finishWithinMs: number | null,
  env: Readonly<Record<string, string | undefined>>,
): EndBudget | null {
  if (finishWithinMs !== null) {
    return { ms: finishWithinMs, source: "--finish-within", startedAt: null };
  }
  if (env.CI_JOB_STATUS === undefined) return null;
  const started = Number(env[AFTER_SCRIPT_STARTED_VARIABLE]);
  const startedAt = Number.isInteger(started) && started > 0 ? started * 1000 : null;
  const given = env.RUNNER_AFTER_SCRIPT_TIMEOUT;
  const parsed = given === undefined ? null : parseGoDuration(given);
  if (given !== undefined && parsed !== null && parsed > 0) {
    return {
      ms: parsed,
      source: `the after_script timeout (RUNNER_AFTER_SCRIPT_TIMEOUT=${given.trim()})`,
      startedAt,
    };
  }
  return {
    ms: DEFAULT_AFTER_SCRIPT_MS,
    source: given === undefined
      ? "the after_script timeout (GitLab's default, 5 minutes)"
      : `the after_script timeout (RUNNER_AFTER_SCRIPT_TIMEOUT="${given}" is no duration: ` +
        "GitLab's default, 5 minutes)",
    startedAt,
  };
}
