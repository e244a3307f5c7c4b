/**
 * Every command-line option of attic-ci, once: its flag, its `ATTIC_CI_*`
 * variable, its default and its help. Parsing, validation and help text are
 * all derived from this table, so they cannot drift apart.
 *
 * @module
 */

/** One option. */
export interface OptionSpec {
  /** Long flag without dashes, e.g. `batch-idle`. Its variable is `ATTIC_CI_BATCH_IDLE`. */
  readonly flag: string;
  readonly type: "string" | "boolean";
  /** May be given more than once (the variable holds one value per line). */
  readonly multiple?: boolean;
  /** Placeholder in the help, e.g. `SECONDS`. */
  readonly metavar?: string;
  /** Built-in default, as the string a user would type (`"true"` for a boolean that is on). */
  readonly default?: string;
  readonly help: string;
  /** Read from flags only (no variable): per-invocation switches. */
  readonly flagOnly?: boolean;
  /**
   * Read from the variable only (no flag): the command line has its own way
   * to say it, e.g. positional arguments.
   */
  readonly variableOnly?: boolean;
  /**
   * The variable holds a list: a YAML or JSON sequence such as
   * `[".#a", ".#b"]` (how GitLab renders an array input inside a string), or
   * one value per line.
   */
  readonly list?: boolean;
}

/**
 * What Attic accepts as a cache name (attic/src/cache.rs `CACHE_NAME_REGEX`):
 * anything else fails every push.
 */
export const ATTIC_CACHE_NAME = /^[A-Za-z0-9][A-Za-z0-9_+-]{0,49}$/;

/** An attic server URL: http:// or https://, no white space. */
export const HTTP_URL = /^https?:\/\/[^\s]+$/;

/** A variable's name, e.g. for `--token-variable`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variable that carries an option, e.g. `token-variable` → `ATTIC_CI_TOKEN_VARIABLE`. */
export function variableName(flag: string): string {
  return `ATTIC_CI_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Options that say where to push. */
export const TARGET_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "backend",
    type: "string",
    metavar: "attic|nix-copy",
    default: "attic",
    help: "how to push: the attic CLI, or `nix copy` to any Nix store URL",
  },
  { flag: "cache", type: "string", metavar: "NAME", help: "attic cache name (backend attic)" },
  {
    flag: "server",
    type: "string",
    metavar: "URL",
    help: "attic server URL, e.g. https://attic.example.com/ (backend attic)",
  },
  {
    flag: "token-variable",
    type: "string",
    metavar: "NAME",
    default: "ATTIC_TOKEN",
    help: "name of the variable holding the attic token, or the path of a file with it",
  },
  {
    flag: "attic-client",
    type: "string",
    metavar: "cli|api|auto",
    default: "auto",
    help: "backend attic: an attic CLI on PATH, else the helper's own HTTP client, with nothing " +
      "fetched before the build (auto); only the CLI, fetched substitution-only, deferring the " +
      "push to the end until one is found (cli); only the built-in client (api)",
  },
  {
    flag: "keep-endpoint",
    type: "boolean",
    help: "built-in client: send every request to --server, even when the cache advertises " +
      "another api_endpoint (a reverse proxy with a path prefix)",
  },
  {
    flag: "to",
    type: "string",
    metavar: "STORE_URL",
    help: "destination store of backend nix-copy, e.g. file:///var/cache/nix",
  },
];

/** How the job's Nix reads from the cache. */
export const PULL_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "pull",
    type: "boolean",
    default: "true",
    help: "make the Nix this command runs substitute from the cache (substituter, key, and for a " +
      "private cache the token in a per-job netrc); --no-pull leaves Nix as configured",
  },
  {
    flag: "public-key",
    type: "string",
    metavar: "KEY",
    help: "backend nix-copy: the key the paths in --to are signed with, NAME:BASE64 " +
      "(default: the public half of --to's ?secret-key=FILE)",
  },
];

/** Options of the attic client bootstrap. */
export const BOOTSTRAP_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "bootstrap-installable",
    type: "string",
    metavar: "REF",
    default: ".#attic-client",
    help: "installable of the attic client, fetched with --max-jobs 0 (never compiled)",
  },
  {
    flag: "bootstrap-timeout",
    type: "string",
    metavar: "SECONDS",
    default: "180",
    help: "give up on the substitution-only fetch after this long",
  },
];

/** Where state and store are. */
export const LOCATION_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "state-dir",
    type: "string",
    metavar: "DIR",
    help: "private state directory (default: $TMPDIR/attic-ci-<uid>[-job-<CI_JOB_ID>])",
  },
  {
    flag: "store-dir",
    type: "string",
    metavar: "DIR",
    default: "/nix/store",
    help: "the Nix store directory to watch",
  },
];

/** What to push and how hard to try. */
export const PUSH_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "exclude",
    type: "string",
    multiple: true,
    metavar: "REGEX",
    help: "do not push store paths matching REGEX (repeatable; one per line in the variable)",
  },
  {
    flag: "strict",
    type: "boolean",
    help: "exit 1 when anything could not be pushed (default: caching never fails a build)",
  },
  {
    flag: "batch-idle",
    type: "string",
    metavar: "SECONDS",
    default: "0.1",
    help: "push a batch once no new path arrived for this long",
  },
  {
    flag: "batch-max-wait",
    type: "string",
    metavar: "SECONDS",
    default: "2",
    help: "push a batch once its oldest path waited this long",
  },
  {
    flag: "batch-max-size",
    type: "string",
    metavar: "N",
    default: "100",
    help: "push a batch once it holds this many paths (also the cap when batches merge)",
  },
  {
    flag: "push-jobs",
    type: "string",
    metavar: "N",
    default: "2",
    help: "push calls running at once",
  },
  {
    flag: "nice",
    type: "string",
    metavar: "N",
    default: "10",
    help: "once the build has started, the helper (and what it starts: nix-store, attic) runs " +
      "at this nice value, 0 to 19, so pushing takes the CPU the build leaves; 0 keeps it as is",
  },
  {
    flag: "attic-jobs",
    type: "string",
    metavar: "N",
    default: "5",
    help: "uploads in parallel within one attic push (attic push --jobs)",
  },
  {
    flag: "push-timeout",
    type: "string",
    metavar: "SECONDS",
    default: "300",
    help: "kill one push call after this long (it is retried)",
  },
  {
    flag: "stall-timeout",
    type: "string",
    metavar: "SECONDS",
    default: "60",
    help: "built-in client: abandon a request after this long without a byte sent or received " +
      "(it is retried); a slow upload that moves is never cut",
  },
  {
    flag: "retries",
    type: "string",
    metavar: "N",
    default: "3",
    help: "retries of a failed batch before it is split to isolate bad paths " +
      "(and, with the built-in client, of each failed request)",
  },
  {
    flag: "retry-delay",
    type: "string",
    metavar: "SECONDS",
    default: "1",
    help: "first backoff delay; doubles per retry, capped at 30 s",
  },
  {
    flag: "finish-within",
    type: "string",
    metavar: "SECONDS",
    help: "the end of the run (drain, final push, report) takes at most this long; what is left " +
      "is named and kept for a later push (default in after_script: RUNNER_AFTER_SCRIPT_TIMEOUT, " +
      "5 minutes if unset, minus what after_script used already)",
  },
  {
    flag: "drain-timeout",
    type: "string",
    metavar: "SECONDS",
    default: "600",
    help: "at stop, wait this long for queued uploads, then leave them to the final push",
  },
];

/**
 * The folder `--artifacts` writes into, in the working directory: a GitLab job's
 * script and after_script start in `$CI_PROJECT_DIR`, where the components'
 * `artifacts:paths` find it. (Not `$CI_PROJECT_DIR` itself: gitlab-ci-local
 * sets it to `/builds/…` for a job with an `image:` even when it runs the job
 * in the shell.)
 */
export const ARTIFACTS_DIR = "attic-ci";

/** Where the report goes besides the log: its JSON, its picture, GitLab's result formats. */
export const RESULT_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "report",
    type: "string",
    metavar: "FILE",
    help: "also write the report as JSON to FILE",
  },
  {
    flag: "timeline",
    type: "string",
    metavar: "FILE",
    help: "also draw the report as a timeline picture (SVG) to FILE: when each path was " +
      "finished and cached, the build's end, the drain, the final push, the totals",
  },
  {
    flag: "metrics",
    type: "string",
    metavar: "FILE",
    help: "also write the report's counts as OpenMetrics to FILE (GitLab's metrics report)",
  },
  {
    flag: "dotenv",
    type: "string",
    metavar: "FILE",
    help: "also write the report's counts as KEY=value lines to FILE (GitLab's dotenv report)",
  },
  {
    flag: "artifacts",
    type: "boolean",
    help: `write all four into ${ARTIFACTS_DIR}/ in the working directory ($CI_PROJECT_DIR in ` +
      "a GitLab job): report.json, timeline.svg, metrics.txt and attic-ci.env, the files the " +
      "components keep as job artifacts",
  },
];

/** `render`'s own option. */
export const RENDER_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "out",
    type: "string",
    metavar: "FILE",
    help: "write the picture to FILE (default: standard output)",
    flagOnly: true,
  },
];

/** `stop --timeout`. */
export const STOP_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "timeout",
    type: "string",
    metavar: "SECONDS",
    default: "900",
    help: "wait this long for the watcher's drain before giving up on it",
    flagOnly: true,
  },
];

/** `use --persist`. */
export const USE_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "persist",
    type: "boolean",
    help: "write the settings into your user's Nix configuration for good (a developer's " +
      "machine), instead of printing them for this job",
    flagOnly: true,
  },
];

/** `status --json`. */
export const STATUS_OPTIONS: readonly OptionSpec[] = [
  { flag: "json", type: "boolean", help: "print the status as JSON", flagOnly: true },
];

/**
 * What a job builds, and which of the store's new paths are its own. On the
 * command line `build`'s installables are its positional INSTALLABLEs and its
 * Nix arguments follow `--`; the component hands them over as variables, so a
 * value with spaces, quotes or `$(…)` is data, never shell.
 */
export const ATTRIBUTION_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "attribution",
    type: "string",
    metavar: "auto|all",
    default: "auto",
    help: "which new store paths are this job's: auto pushes only the job's own (its Nix " +
      "processes held their locks; on a daemon, the closure of --installables); all pushes " +
      "every path that appears (a runner that runs one job at a time; watch always does)",
  },
  {
    flag: "installables",
    type: "string",
    multiple: true,
    list: true,
    metavar: "REF",
    help: "what this job builds (repeatable; the variable holds a list such as " +
      '[".#a", ".#b"]): what build builds without arguments, and where a daemon hides whose ' +
      "paths are whose, the derivation closure that decides what is this job's",
  },
];

/** `build`'s Nix arguments, when none follow `--`. */
export const BUILD_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "nix-flags",
    type: "string",
    multiple: true,
    list: true,
    variableOnly: true,
    metavar: "LIST",
    help: 'arguments for nix build when none follow --, e.g. ["-L", "--keep-going"]',
  },
];

/** `--help` and `--version`, accepted everywhere. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flag: "help", type: "boolean", help: "show this help", flagOnly: true },
  { flag: "version", type: "boolean", help: "print the version", flagOnly: true },
];

/** All options that make up an engine configuration. */
export const ENGINE_OPTIONS: readonly OptionSpec[] = [
  ...TARGET_OPTIONS,
  ...PULL_OPTIONS,
  ...ATTRIBUTION_OPTIONS,
  ...BOOTSTRAP_OPTIONS,
  ...LOCATION_OPTIONS,
  ...PUSH_OPTIONS,
  ...RESULT_OPTIONS,
];
