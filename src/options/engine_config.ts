/**
 * The validated engine configuration, built from raw option values with zod.
 * Every problem becomes one {@linkcode ConfigError} naming the flag or
 * variable the value came from.
 *
 * @module
 */

import { z } from "zod";
import type { BackendName } from "../backends/push_backend.ts";
import { ConfigError } from "../errors.ts";
import { defaultStateDir } from "../state/state_dir.ts";
import { type EndBudget, endBudget } from "./end_budget.ts";
import { ARTIFACTS_DIR, ATTIC_CACHE_NAME, HTTP_URL, VARIABLE_NAME } from "./option_specs.ts";
import type { ParsedArgs, RawValue } from "./parse_args.ts";

/** Everything the engine needs, validated, in convenient units. */
export interface EngineConfig {
  readonly backend: BackendName;
  readonly cache: string | null;
  readonly server: string | null;
  readonly tokenVariable: string;
  /** How the attic backend talks to the cache: the CLI, the built-in client, or either. */
  readonly atticClient: AtticClientChoice;
  /** The built-in client keeps `server` as its base URL. */
  readonly keepEndpoint: boolean;
  readonly to: string | null;
  /** Make the Nix the helper runs substitute from the cache (`--pull`). */
  readonly pull: boolean;
  /** nix-copy: the key the paths in `to` are signed with; null: from `to`'s secret key. */
  readonly publicKey: string | null;
  /** `auto`: only this job's paths are pushed; `all`: every path that appears. */
  readonly attribution: "auto" | "all";
  /** What the job builds (`--installables`; `build`'s positionals win over it). */
  readonly installables: readonly string[];
  readonly bootstrapInstallable: string;
  readonly bootstrapTimeoutMs: number;
  readonly stateDir: string;
  /** The state directory is the default one (no --state-dir, no ATTIC_CI_STATE_DIR). */
  readonly stateDirIsDefault: boolean;
  readonly storeDir: string;
  readonly exclude: RegExp[];
  /** The `--exclude` sources, for saving the session. */
  readonly excludeSources: string[];
  readonly strict: boolean;
  readonly reportFile: string | null;
  /** `--timeline`: the report's picture (SVG). */
  readonly timelineFile: string | null;
  /** `--metrics`: the report's counts as OpenMetrics. */
  readonly metricsFile: string | null;
  /** `--dotenv`: the report's counts as `KEY=value` lines. */
  readonly dotenvFile: string | null;
  /**
   * `--artifacts`: the folder that gets all four, relative to the working
   * directory (`attic-ci`); null when off.
   */
  readonly artifactsDir: string | null;
  readonly batchIdleMs: number;
  readonly batchMaxWaitMs: number;
  readonly batchMaxSize: number;
  readonly pushJobs: number;
  /** The nice value the helper takes once the build has started (0: unchanged). */
  readonly nice: number;
  readonly atticJobs: number;
  readonly pushTimeoutMs: number;
  /** The built-in client's stall timeout per request. */
  readonly stallTimeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly drainTimeoutMs: number;
  /** How long the end of the run may take (`--finish-within`, or after_script's); null: unbounded. */
  readonly endBudget: EndBudget | null;
  /** `--finish-within`, for saving the session. */
  readonly finishWithinMs: number | null;
}

/** `--attic-client`: the attic CLI, the built-in HTTP client, or the CLI if it can be had. */
export type AtticClientChoice = "cli" | "api" | "auto";

/** The longest timer JavaScript keeps: a longer one fires at once (it wraps to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const seconds = z.string().trim().regex(
  /^\d+(\.\d+)?$/,
  "expected a number of seconds such as 0.5 or 10",
).transform((s) => Math.round(Number(s) * 1000)).refine(
  (ms) => ms <= MAX_TIMER_MS,
  `must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days)`,
);
const positiveSeconds = seconds.refine((ms) => ms > 0, "must be more than 0 seconds");
const count = (min: number) =>
  z.string().trim().regex(/^\d+$/, "expected a whole number").transform(Number).refine(
    (n) => n >= min,
    `must be at least ${min}`,
  ).refine(Number.isSafeInteger, `must be at most ${Number.MAX_SAFE_INTEGER}`);

/**
 * The store URLs Nix opens (Nix 2.x's store implementations): binary caches
 * (`file://`, `http(s)://`, `s3://`), remote stores (`ssh://`, `ssh-ng://`,
 * `mounted-ssh-ng://`), a daemon socket (`unix://`), and the local store by
 * path or name. Anything else (`ftp://`, a typo in the scheme) would make
 * every push fail: it is refused up front.
 */
const STORE_URL =
  /^((file|https?|s3|ssh|ssh-ng|mounted-ssh-ng|unix):\/\/\S*|\/\S*|(local|daemon|auto)(\?\S*)?)$/;

/** How {@linkcode STORE_URL} is said in an error. */
const STORE_URL_FORMS = "file://, http(s)://, s3://, ssh://, ssh-ng://, unix://, a local path, " +
  "local or daemon";

/** Whether `url` is a store URL Nix can open. */
export function isStoreUrl(url: string): boolean {
  return STORE_URL.test(url);
}

const rawSchema = z.object({
  backend: z.enum(["attic", "nix-copy"], { error: "expected attic or nix-copy" }),
  cache: z.string().regex(
    ATTIC_CACHE_NAME,
    "expected an attic cache name: a letter or digit, then up to 49 letters, digits, '-', '_' or '+'",
  ).optional(),
  server: z.string().regex(HTTP_URL, "expected an http:// or https:// URL")
    .optional(),
  "token-variable": z.string().regex(
    VARIABLE_NAME,
    "expected a variable name such as ATTIC_TOKEN",
  ),
  "attic-client": z.enum(["cli", "api", "auto"], { error: "expected cli, api or auto" }),
  "keep-endpoint": z.boolean().optional(),
  to: z.string().regex(
    /^\S+$/,
    "expected a Nix store URL such as file:///var/cache/nix or s3://bucket",
  ).refine(
    isStoreUrl,
    `is not a store URL Nix can open (Nix opens ${STORE_URL_FORMS})`,
  ).optional(),
  pull: z.boolean(),
  "public-key": z.string().trim().regex(
    /^[^:\s]+:[A-Za-z0-9+/]{43}=$/,
    "expected a Nix public key NAME:BASE64, as `nix key convert-secret-to-public` prints it",
  ).optional(),
  attribution: z.enum(["auto", "all"], { error: "expected auto or all" }),
  installables: z.array(z.string()).optional(),
  "bootstrap-installable": z.string().min(1, "must not be empty"),
  "bootstrap-timeout": positiveSeconds,
  "state-dir": z.string().regex(/^\//, "expected an absolute path").optional(),
  "store-dir": z.string().regex(/^\/\S*$/, "expected an absolute path such as /nix/store"),
  exclude: z.array(z.string()).optional(),
  strict: z.boolean().optional(),
  report: z.string().min(1, "must not be empty").optional(),
  timeline: z.string().min(1, "must not be empty").optional(),
  metrics: z.string().min(1, "must not be empty").optional(),
  dotenv: z.string().min(1, "must not be empty").optional(),
  artifacts: z.boolean().optional(),
  "batch-idle": seconds,
  "batch-max-wait": seconds,
  "batch-max-size": count(1),
  "push-jobs": count(1),
  nice: count(0).refine((n) => n <= 19, "must be at most 19 (the lowest priority)"),
  "attic-jobs": count(1),
  "push-timeout": positiveSeconds,
  "stall-timeout": positiveSeconds,
  retries: count(0),
  "retry-delay": seconds,
  "drain-timeout": positiveSeconds,
  "finish-within": positiveSeconds.optional(),
});

/** Validates raw values into an {@linkcode EngineConfig}; throws {@linkcode ConfigError}. */
export function engineConfig(
  args: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
): EngineConfig {
  const raw: Record<string, unknown> = {};
  for (const [flag, { value }] of args.values) raw[flag] = value;
  const result = rawSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const flag = String(issue.path[0] ?? "arguments");
    const given = args.values.get(flag);
    throw new ConfigError(sourceOf(given, flag), describe(issue.message, given));
  }
  const o = result.data;
  const exclude = (o.exclude ?? []).map((source) => {
    try {
      return new RegExp(source);
    } catch (error) {
      throw new ConfigError(
        sourceOf(args.values.get("exclude"), "exclude"),
        `"${source}" is not a valid regular expression (${(error as Error).message})`,
      );
    }
  });

  if (o.backend === "nix-copy" && o.to === undefined) {
    throw new ConfigError(
      "--to",
      "is required with --backend nix-copy",
      "pass --to file:///path/to/cache or set ATTIC_CI_TO",
    );
  }
  if (o.backend === "attic") {
    for (const flag of ["cache", "server"] as const) {
      if (o[flag] === undefined) {
        throw new ConfigError(
          `--${flag}`,
          "is required with --backend attic",
          `pass --${flag} or set ATTIC_CI_${flag.toUpperCase()} (component input ${flag})`,
        );
      }
    }
  }

  return {
    backend: o.backend,
    cache: o.cache ?? null,
    server: o.server ?? null,
    tokenVariable: o["token-variable"],
    atticClient: o["attic-client"],
    keepEndpoint: o["keep-endpoint"] ?? false,
    to: o.to ?? null,
    pull: o.pull,
    publicKey: o["public-key"] ?? null,
    attribution: o.attribution,
    installables: o.installables ?? [],
    bootstrapInstallable: o["bootstrap-installable"],
    bootstrapTimeoutMs: o["bootstrap-timeout"],
    stateDir: (o["state-dir"] ?? defaultStateDir(env)).replace(/\/+$/, ""),
    stateDirIsDefault: o["state-dir"] === undefined,
    storeDir: o["store-dir"].replace(/\/+$/, "") || "/",
    exclude,
    excludeSources: o.exclude ?? [],
    strict: o.strict ?? false,
    reportFile: o.report ?? null,
    timelineFile: o.timeline ?? null,
    metricsFile: o.metrics ?? null,
    dotenvFile: o.dotenv ?? null,
    artifactsDir: o.artifacts ? ARTIFACTS_DIR : null,
    batchIdleMs: o["batch-idle"],
    batchMaxWaitMs: o["batch-max-wait"],
    batchMaxSize: o["batch-max-size"],
    pushJobs: o["push-jobs"],
    nice: o.nice,
    atticJobs: o["attic-jobs"],
    pushTimeoutMs: o["push-timeout"],
    stallTimeoutMs: o["stall-timeout"],
    retries: o.retries,
    retryDelayMs: o["retry-delay"],
    drainTimeoutMs: o["drain-timeout"],
    endBudget: endBudget(o["finish-within"] ?? null, env),
    finishWithinMs: o["finish-within"] ?? null,
  };
}

/** The options worth saving for `stop` and `push` (no secret: the token stays in its variable). */
export function savedOptions(config: EngineConfig): Record<string, string | boolean | string[]> {
  const saved: Record<string, string | boolean | string[]> = {
    backend: config.backend,
    "token-variable": config.tokenVariable,
    "attic-client": config.atticClient,
    "keep-endpoint": config.keepEndpoint,
    pull: config.pull,
    attribution: config.attribution,
    installables: [...config.installables],
    "bootstrap-installable": config.bootstrapInstallable,
    "bootstrap-timeout": String(config.bootstrapTimeoutMs / 1000),
    "store-dir": config.storeDir,
    exclude: config.excludeSources,
    strict: config.strict,
    "batch-max-size": String(config.batchMaxSize),
    "push-jobs": String(config.pushJobs),
    nice: String(config.nice),
    "attic-jobs": String(config.atticJobs),
    "push-timeout": String(config.pushTimeoutMs / 1000),
    "stall-timeout": String(config.stallTimeoutMs / 1000),
    retries: String(config.retries),
    "retry-delay": String(config.retryDelayMs / 1000),
    "drain-timeout": String(config.drainTimeoutMs / 1000),
  };
  if (config.cache !== null) saved.cache = config.cache;
  if (config.server !== null) saved.server = config.server;
  if (config.to !== null) saved.to = config.to;
  if (config.publicKey !== null) saved["public-key"] = config.publicKey;
  if (config.finishWithinMs !== null) {
    saved["finish-within"] = String(config.finishWithinMs / 1000);
  }
  return saved;
}

/** Parses a seconds value of a command-specific option (e.g. `stop --timeout`). */
export function secondsOption(value: RawValue | undefined, flag: string): number {
  const result = positiveSeconds.safeParse(value?.value);
  if (!result.success) {
    throw new ConfigError(sourceOf(value, flag), describe(result.error.issues[0]!.message, value));
  }
  return result.data;
}

function sourceOf(value: RawValue | undefined, flag: string): string {
  if (!value || value.source.startsWith("default")) return `--${flag}`;
  return value.source;
}

function describe(message: string, given: RawValue | undefined): string {
  if (given === undefined) return message;
  const shown = Array.isArray(given.value) ? given.value.join(", ") : String(given.value);
  return `${message}, got "${shown}"`;
}
