/**
 * Bad input, as data and a contract: the hand-written malformed flags and
 * `ATTIC_CI_*` variables, a seeded random generator of values, and the check
 * that a run kept the contract — exit 2 and one line naming the input, never
 * a stack trace. Shared by the tests (tests/reliability/bad_input_test.ts)
 * and the stress task's larger sweep (stress/scenarios/inputs.ts).
 *
 * @module
 */

import { runInProcess } from "../helpers/cli.ts";

/** One malformed input: the command line, the variables, and what the one line must name. */
export interface BadInput {
  readonly args: string[];
  readonly env?: Record<string, string>;
  readonly names: string;
}

export const COPY = ["--backend", "nix-copy", "--to", "file:///tmp/attic-ci-bad-input-cache"];
const ATTIC = ["--cache", "main", "--server", "https://attic.example.com/"];
const exec = (...args: string[]): string[] => ["exec", ...COPY, ...args, "--", "true"];
/** A bad variable, with nix-copy configured by variables too (a flag would beat it). */
const execEnv = (names: string, value: string): BadInput => ({
  args: ["exec", "--", "true"],
  env: {
    ATTIC_CI_BACKEND: "nix-copy",
    ATTIC_CI_TO: "file:///tmp/attic-ci-bad-input-cache",
    [names]: value,
  },
  names,
});

/** The hand-written cases (exported: the stress task counts them in docs/reliability.md). */
export const BAD_INPUTS: readonly BadInput[] = [
  { args: ["exec", "--backend", "s3", "--", "true"], names: "--backend" },
  { args: ["exec", "--backend=", "--", "true"], names: "--backend" },
  {
    args: ["exec", "--backend", "nix-copy", "--to", "relative/cache", "--", "true"],
    names: "--to",
  },
  { args: ["exec", "--backend", "nix-copy", "--to", "file://a b", "--", "true"], names: "--to" },
  { args: ["exec", "--backend", "nix-copy", "--to", "ftp://x", "--", "true"], names: "--to" },
  { args: ["exec", "--backend", "nix-copy", "--to", "fiel:///cache", "--", "true"], names: "--to" },
  { args: ["exec", "--backend", "nix-copy", "--", "true"], names: "--to" },
  { args: ["exec", "--cache", "a b", "--server", "https://x/", "--", "true"], names: "--cache" },
  { args: ["exec", "--cache=-x", "--server", "https://x/", "--", "true"], names: "--cache" },
  { args: ["exec", "--cache", "a.b", "--server", "https://x/", "--", "true"], names: "--cache" },
  {
    args: ["exec", "--cache", "a".repeat(51), "--server", "https://x/", "--", "true"],
    names: "--cache",
  },
  { args: ["exec", "--server", "https://x/", "--", "true"], names: "--cache" },
  { args: ["exec", "--cache", "main", "--", "true"], names: "--server" },
  { args: ["exec", "--cache", "main", "--server", "ftp://x/", "--", "true"], names: "--server" },
  { args: ["exec", "--cache", "main", "--server", "http:// x", "--", "true"], names: "--server" },
  { args: ["exec", "--cache", "main", "--server=", "--", "true"], names: "--server" },
  { args: ["exec", ...ATTIC, "--token-variable", "1ABC", "--", "true"], names: "--token-variable" },
  { args: ["exec", ...ATTIC, "--token-variable", "A-B", "--", "true"], names: "--token-variable" },
  {
    // Without --strict a missing token turns pushing off and the build runs (not bad input).
    args: ["exec", ...ATTIC, "--strict", "--token-variable", "NO_SUCH_TOKEN_VAR", "--", "true"],
    names: "NO_SUCH_TOKEN_VAR",
  },
  { args: exec("--pull=maybe"), names: "--pull" },
  { args: exec("--no-pull=yes"), names: "--pull" },
  execEnv("ATTIC_CI_PULL", "sometimes"),
  { args: exec("--public-key", "not-a-key"), names: "--public-key" },
  { args: exec("--public-key", "k:c2hvcnQ="), names: "--public-key" },
  execEnv("ATTIC_CI_PUBLIC_KEY", "name-only:"),
  { args: ["use", ...ATTIC, "--persist=yes"], names: "--persist" },
  { args: ["use", "--server", "https://x/"], names: "--cache" },
  { args: ["clean", "--state-dir", "relative"], names: "--state-dir" },
  { args: exec("--bootstrap-installable="), names: "--bootstrap-installable" },
  { args: exec("--bootstrap-timeout", "0"), names: "--bootstrap-timeout" },
  { args: exec("--bootstrap-timeout=-1"), names: "--bootstrap-timeout" },
  { args: exec("--bootstrap-timeout", "soon"), names: "--bootstrap-timeout" },
  { args: exec("--state-dir", "relative/state"), names: "--state-dir" },
  { args: exec("--store-dir", "nix/store"), names: "--store-dir" },
  { args: exec("--store-dir", "/nix/my store"), names: "--store-dir" },
  { args: exec("--exclude", "("), names: "--exclude" },
  { args: exec("--exclude", "["), names: "--exclude" },
  { args: exec("--exclude", "*"), names: "--exclude" },
  { args: exec("--report="), names: "--report" },
  { args: exec("--batch-idle=-1"), names: "--batch-idle" },
  { args: exec("--batch-idle", "1e3"), names: "--batch-idle" },
  { args: exec("--batch-max-wait", "x"), names: "--batch-max-wait" },
  { args: exec("--batch-max-size", "0"), names: "--batch-max-size" },
  { args: exec("--batch-max-size", "1.5"), names: "--batch-max-size" },
  { args: exec("--push-jobs", "0"), names: "--push-jobs" },
  { args: exec("--push-jobs=-2"), names: "--push-jobs" },
  { args: exec("--attic-jobs", "0"), names: "--attic-jobs" },
  { args: exec("--push-timeout", "0"), names: "--push-timeout" },
  // Longer than a JavaScript timer holds: it would fire at once, not in 30 years.
  { args: exec("--drain-timeout", "1000000000"), names: "--drain-timeout" },
  { args: exec("--retries", "100000000000000000000000"), names: "--retries" },
  { args: exec("--retries=-1"), names: "--retries" },
  { args: exec("--retries", "many"), names: "--retries" },
  { args: exec("--retry-delay", "NaN"), names: "--retry-delay" },
  { args: exec("--drain-timeout", "0"), names: "--drain-timeout" },
  { args: exec("--frobnicate"), names: "--frobnicate" },
  { args: exec("-x"), names: "-x" },
  { args: exec("--strict=yes"), names: "--strict" },
  { args: ["exec", ...COPY, "--cache"], names: "--cache" },
  { args: ["deploy"], names: "deploy" },
  { args: ["exec", ...COPY], names: "COMMAND" },
  { args: ["exec", ...COPY, "nix", "build", "--", "true"], names: "nix" },
  { args: ["stop", ...COPY, "--timeout", "0"], names: "--timeout" },
  { args: ["stop", ...COPY, "--timeout", "soon"], names: "--timeout" },
  { args: ["stop", ...COPY, "/nix/store/x"], names: "/nix/store/x" },
  { args: ["status", "extra"], names: "extra" },
  { args: ["bootstrap", "--bootstrap-timeout", "0"], names: "--bootstrap-timeout" },
  { args: ["push", ...COPY, "/not/in/the/store"], names: "PATH /not/in/the/store" },
  {
    args: ["build", ...COPY],
    env: { ATTIC_CI_INSTALLABLES: '[".#a",' },
    names: "ATTIC_CI_INSTALLABLES",
  },
  {
    args: ["build", ...COPY],
    env: { ATTIC_CI_NIX_FLAGS: '[{"a": 1}]' },
    names: "ATTIC_CI_NIX_FLAGS",
  },
  execEnv("ATTIC_CI_BACKEND", "s3"),
  execEnv("ATTIC_CI_STRICT", "maybe"),
  execEnv("ATTIC_CI_BATCH_MAX_SIZE", "lots"),
  execEnv("ATTIC_CI_PUSH_JOBS", "0"),
  execEnv("ATTIC_CI_TO", "relative"),
  execEnv("ATTIC_CI_STATE_DIR", "relative"),
  execEnv("ATTIC_CI_STORE_DIR", "relative"),
  execEnv("ATTIC_CI_RETRY_DELAY", "-5"),
  execEnv("ATTIC_CI_DRAIN_TIMEOUT", "never"),
  execEnv("ATTIC_CI_BOOTSTRAP_TIMEOUT", "0"),
  execEnv("ATTIC_CI_EXCLUDE", "(unclosed"),
  {
    args: ["exec", "--", "true"],
    env: { ATTIC_CI_CACHE: "x y", ATTIC_CI_SERVER: "https://x/" },
    names: "ATTIC_CI_CACHE",
  },
  {
    args: ["exec", "--", "true"],
    env: { ATTIC_CI_CACHE: "main", ATTIC_CI_SERVER: "x" },
    names: "ATTIC_CI_SERVER",
  },
  {
    args: ["exec", ...ATTIC, "--", "true"],
    env: { ATTIC_CI_TOKEN_VARIABLE: "9LIVES" },
    names: "ATTIC_CI_TOKEN_VARIABLE",
  },
  {
    args: ["exec", ...ATTIC, "--strict", "--", "true"],
    env: { ATTIC_TOKEN: "" },
    names: "ATTIC_TOKEN",
  },
];

/** Options the sweep varies: none of them writes where a random value points. */
export const SWEPT = [
  "batch-idle",
  "batch-max-wait",
  "batch-max-size",
  "push-jobs",
  "attic-jobs",
  "push-timeout",
  "retries",
  "retry-delay",
  "drain-timeout",
  "bootstrap-timeout",
  "exclude",
  "cache",
  "server",
  "token-variable",
  "backend",
];
const PIECES = [
  "",
  " ",
  "-",
  "--",
  "0",
  "1",
  "-1",
  "9".repeat(20),
  "1.5",
  "x",
  "é",
  "$(",
  "`",
  "'",
  '"',
  "(",
  "[",
  "*",
  "\\",
  "\n",
  "/",
  "http://",
  "%00",
];

/** A random value from pieces that make most options invalid and some valid. */
export function randomValue(random: () => number): string {
  let value = "";
  const parts = 1 + Math.floor(random() * 3);
  for (let i = 0; i < parts; i++) value += PIECES[Math.floor(random() * PIECES.length)];
  return value;
}

/** A random input: one swept option set to a random value, as a flag or as its variable. */
export interface RandomInput {
  readonly args: string[];
  readonly env: Record<string, string>;
  /** How a refusal may name it: the flag or variable (or an option it leaves unset). */
  readonly what: string;
  readonly names: RegExp;
}

/** Draws one {@linkcode RandomInput}; `stateDir` keeps the runs out of the default state directory. */
export function randomInput(random: () => number, stateDir: string): RandomInput {
  const option = SWEPT[Math.floor(random() * SWEPT.length)]!;
  const value = randomValue(random);
  const viaVariable = random() < 0.5;
  const variable = `ATTIC_CI_${option.toUpperCase().replaceAll("-", "_")}`;
  const base = ["exec", ...COPY, "--state-dir", stateDir];
  const named = viaVariable ? variable : `--${option}`;
  return {
    args: viaVariable ? [...base, "--", "true"] : [...base, `--${option}=${value}`, "--", "true"],
    env: viaVariable ? { [variable]: value } : {},
    what: `${viaVariable ? `${variable}=` : `--${option}=`}${JSON.stringify(value)}`,
    // A random backend or token variable may leave another option unset: that one is named then.
    names: new RegExp(`${escape(named)}|--(cache|server|to)\\b|ATTIC_TOKEN`),
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** How a run met the bad-input contract. */
export interface InputOutcome {
  readonly code: number;
  /** The `error:` line (or the one line), when there was exactly one. */
  readonly line: string | null;
  /** What broke the contract, or null. */
  readonly problem: string | null;
}

/**
 * Runs `args` in process and checks the contract: a stack trace is always a
 * problem; a refusal (exit 2) must be exactly one `error:` line naming the
 * input (`names`), with nothing on stdout. `mustRefuse`: any other exit is a
 * problem too (the hand-written cases are all invalid).
 */
export async function tryInput(
  input: { args: string[]; env?: Record<string, string> },
  names: string | RegExp,
  options: { cwd: string; mustRefuse: boolean },
): Promise<InputOutcome> {
  const result = await runInProcess(input.args, {
    env: input.env ?? {},
    cwd: options.cwd,
    clearEnv: false,
  });
  const stderr = result.stderr;
  if (/^\s+at /m.test(stderr) || /\bError:/.test(stderr)) {
    return { code: result.code, line: null, problem: `a stack trace:\n${stderr}` };
  }
  if (result.code !== 2) {
    const problem = options.mustRefuse || result.code !== 0
      ? `exit ${result.code}, not 2:\n${stderr}`
      : null;
    return { code: result.code, line: null, problem };
  }
  const errors = options.mustRefuse
    ? stderr.trim().split("\n")
    : stderr.trim().split("\n").filter((line) => line.includes("error:"));
  if (errors.length !== 1) {
    return { code: 2, line: null, problem: `${errors.length} lines, not one:\n${stderr}` };
  }
  const line = errors[0]!;
  const named = typeof names === "string" ? line.includes(names) : names.test(line);
  if (!named) return { code: 2, line, problem: `the line does not name the input: ${line}` };
  if (result.stdout !== "") {
    return { code: 2, line, problem: `stdout is not empty: ${result.stdout}` };
  }
  return { code: 2, line, problem: null };
}
