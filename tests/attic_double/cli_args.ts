/**
 * Argument parsing of the attic test double, modelled on the real client's
 * clap 4 definitions (zhaofengli/attic: client/src/cli.rs,
 * client/src/command/push.rs, client/src/cache.rs, attic/src/cache.rs).
 *
 * Pure: no I/O. Every outcome is a value the entry point acts on.
 *
 * @module
 */

/** The version clap prints (client/Cargo.toml `version = "0.1.0"`). */
export const ATTIC_VERSION = "0.1.0";

/** Subcommands the real client has, which the double does not emulate. */
export const UNEMULATED_SUBCOMMANDS: readonly string[] = [
  "login",
  "use",
  "cache",
  "watch-store",
  "get-closure",
  "gen-completions",
];

/** A cache reference: `cache` (default server) or `server:cache`. */
export interface CacheRef {
  /** The server named in `server:cache`, or null for the default server. */
  server: string | null;
  cache: string;
}

/** Options of `attic push`, as clap would hand them to the command. */
export interface PushOptions {
  cache: CacheRef;
  /** Positional paths, verbatim. */
  paths: string[];
  stdin: boolean;
  noClosure: boolean;
  ignoreUpstreamCacheFilter: boolean;
  /** `-j/--jobs`, default 5. Zero passes parsing and fails later (exit 1), like the real one. */
  jobs: number;
  /** Hidden flag `--force-preamble`: accepted, no effect in the double. */
  forcePreamble: boolean;
}

/** What the command line asks for. */
export type ParsedArgs =
  | { kind: "print"; stream: "stdout" | "stderr"; text: string; exitCode: number }
  | { kind: "unemulated"; subcommand: string }
  | { kind: "push"; options: PushOptions };

// Cache names: attic/src/cache.rs CACHE_NAME_REGEX `^[A-Za-z0-9][A-Za-z0-9-_+]{0,49}$`.
const CACHE_NAME = /^[A-Za-z0-9][A-Za-z0-9\-_+]{0,49}$/;

/** Whether `name` is a valid attic cache (or server) name. */
export function isValidCacheName(name: string): boolean {
  return CACHE_NAME.test(name);
}

/**
 * Parses a cache reference like `CacheRef::from_str`: a bare valid name first,
 * then `server:cache` split at the first colon.
 *
 * @example
 * ```ts
 * parseCacheRef("ci:main"); // { server: "ci", cache: "main" }
 * ```
 */
export function parseCacheRef(text: string): CacheRef | null {
  if (isValidCacheName(text)) return { server: null, cache: text };
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  const server = text.slice(0, colon);
  const cache = text.slice(colon + 1);
  if (!isValidCacheName(server) || !isValidCacheName(cache)) return null;
  return { server, cache };
}

const TOP_USAGE = "Usage: attic <COMMAND>";
const PUSH_USAGE = "Usage: attic push [OPTIONS] <CACHE> [PATHS]...";

const TOP_HELP = `Attic binary cache client

${TOP_USAGE}

Commands:
  login        Log into an Attic server
  use          Configure Nix to use a binary cache
  push         Push closures to a binary cache
  cache        Manage caches on an Attic server
  watch-store  Watch the Nix Store for new paths and upload them to a binary cache
  help         Print this message or the help of the given subcommand(s)

Options:
  -h, --help     Print help
  -V, --version  Print version
`;

const PUSH_SHORT_HELP = `Push closures to a binary cache

${PUSH_USAGE}

Arguments:
  <CACHE>     The cache to push to
  [PATHS]...  The store paths to push

Options:
      --stdin                         Read paths from the standard input
      --no-closure                    Push the specified paths only and do not compute closures
      --ignore-upstream-cache-filter  Ignore the upstream cache filter
  -j, --jobs <JOBS>                   The maximum number of parallel upload processes [default: 5]
  -h, --help                          Print help (see more with '--help')
  -V, --version                       Print version
`;

const PUSH_LONG_HELP = `Push closures to a binary cache

${PUSH_USAGE}

Arguments:
  <CACHE>
          The cache to push to.

          This can be either \`servername:cachename\` or \`cachename\` when using the default server.

  [PATHS]...
          The store paths to push

Options:
      --stdin
          Read paths from the standard input

      --no-closure
          Push the specified paths only and do not compute closures

      --ignore-upstream-cache-filter
          Ignore the upstream cache filter

  -j, --jobs <JOBS>
          The maximum number of parallel upload processes

          [default: 5]

  -h, --help
          Print help (see a summary with '-h')

  -V, --version
          Print version
`;

function usageError(message: string, usage: string | null): ParsedArgs {
  const usagePart = usage === null ? "" : `${usage}\n\n`;
  return {
    kind: "print",
    stream: "stderr",
    text: `error: ${message}\n\n${usagePart}For more information, try '--help'.\n`,
    exitCode: 2,
  };
}

function printOut(text: string): ParsedArgs {
  return { kind: "print", stream: "stdout", text, exitCode: 0 };
}

function unexpectedArgument(arg: string, usage: string): ParsedArgs {
  return usageError(
    `unexpected argument '${arg}' found\n\n  tip: to pass '${arg}' as a value, use '-- ${arg}'`,
    usage,
  );
}

/** Parses a `usize` the way Rust's `str::parse::<usize>` reports errors. */
function parseUsize(text: string): number | string {
  if (text === "") return "cannot parse integer from empty string";
  if (!/^\+?[0-9]+$/.test(text)) return "invalid digit found in string";
  const value = BigInt(text.replace(/^\+/, ""));
  if (value > 18446744073709551615n) return "number too large to fit in target type";
  return Number(value);
}

/** Whether clap would take `arg` as a new flag rather than a value. */
function looksLikeFlag(arg: string): boolean {
  return arg.startsWith("-") && arg !== "-";
}

/**
 * Parses `attic` arguments (without the program name) like the real clap
 * definitions, returning what to print or what to run.
 *
 * @example
 * ```ts
 * const parsed = parseArgs(["push", "ci:main", "/nix/store/...-hello"]);
 * ```
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const first = argv[0];
  // `arg_required_else_help`: no arguments prints the help on stderr, exit 2.
  if (first === undefined) return { kind: "print", stream: "stderr", text: TOP_HELP, exitCode: 2 };
  if (first === "-h" || first === "--help") return printOut(TOP_HELP);
  if (first === "-V" || first === "--version") return printOut(`attic ${ATTIC_VERSION}\n`);
  if (first === "help") {
    const topic = argv[1];
    if (topic === undefined) return printOut(TOP_HELP);
    if (topic === "push") return printOut(PUSH_LONG_HELP);
    if (UNEMULATED_SUBCOMMANDS.includes(topic)) return { kind: "unemulated", subcommand: topic };
    return usageError(`unrecognized subcommand '${topic}'`, TOP_USAGE);
  }
  if (looksLikeFlag(first)) return unexpectedArgument(first, TOP_USAGE);
  if (first === "push") return parsePushArgs(argv.slice(1));
  if (UNEMULATED_SUBCOMMANDS.includes(first)) return { kind: "unemulated", subcommand: first };
  return usageError(`unrecognized subcommand '${first}'`, TOP_USAGE);
}

const PUSH_BOOL_FLAGS: Record<string, keyof PushOptions> = {
  "--stdin": "stdin",
  "--no-closure": "noClosure",
  "--ignore-upstream-cache-filter": "ignoreUpstreamCacheFilter",
  "--force-preamble": "forcePreamble",
};

/** Parses the arguments after `push`. */
export function parsePushArgs(args: readonly string[]): ParsedArgs {
  const flags = { stdin: false, noClosure: false, ignoreUpstreamCacheFilter: false };
  let forcePreamble = false;
  let jobsText: string | null = null;
  const seen = new Set<string>();
  const positionals: string[] = [];
  let onlyPositionals = false;

  const takeJobs = (value: string | undefined): ParsedArgs | null => {
    if (value === undefined) {
      return usageError("a value is required for '--jobs <JOBS>' but none was supplied", null);
    }
    if (seen.has("--jobs")) {
      return usageError("the argument '--jobs <JOBS>' cannot be used multiple times", PUSH_USAGE);
    }
    seen.add("--jobs");
    const parsed = parseUsize(value);
    if (typeof parsed === "string") {
      return usageError(`invalid value '${value}' for '--jobs <JOBS>': ${parsed}`, null);
    }
    jobsText = value;
    return null;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (onlyPositionals || !looksLikeFlag(arg)) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (name === "--help") return printOut(PUSH_LONG_HELP);
      if (name === "--version") return printOut(`attic-push ${ATTIC_VERSION}\n`);
      if (name === "--jobs") {
        let value = inline;
        if (value === undefined) {
          const next = args[i + 1];
          if (next !== undefined && !looksLikeFlag(next)) {
            value = next;
            i++;
          }
        }
        const error = takeJobs(value);
        if (error) return error;
        continue;
      }
      const key = PUSH_BOOL_FLAGS[name];
      if (key === undefined) return unexpectedArgument(name, PUSH_USAGE);
      if (inline !== undefined) {
        return usageError(
          `unexpected value '${inline}' for '${name}' found; no more were expected`,
          PUSH_USAGE,
        );
      }
      if (seen.has(name)) {
        return usageError(`the argument '${name}' cannot be used multiple times`, PUSH_USAGE);
      }
      seen.add(name);
      if (key === "forcePreamble") forcePreamble = true;
      else flags[key as keyof typeof flags] = true;
      continue;
    }
    // Short flags: -h, -V, -j.
    const short = arg[1];
    if (short === "h") return printOut(PUSH_SHORT_HELP);
    if (short === "V") return printOut(`attic-push ${ATTIC_VERSION}\n`);
    if (short === "j") {
      let value: string | undefined = arg.slice(2).replace(/^=/, "");
      if (arg.length === 2) {
        const next = args[i + 1];
        value = undefined;
        if (next !== undefined && !looksLikeFlag(next)) {
          value = next;
          i++;
        }
      }
      const error = takeJobs(value);
      if (error) return error;
      continue;
    }
    return unexpectedArgument(`-${short}`, PUSH_USAGE);
  }

  const cacheText = positionals[0];
  if (cacheText === undefined) {
    return usageError(
      "the following required arguments were not provided:\n  <CACHE>",
      "Usage: attic push <CACHE> [PATHS]...",
    );
  }
  const cache = parseCacheRef(cacheText);
  if (cache === null) {
    return usageError(`invalid value '${cacheText}' for '<CACHE>': Invalid cache reference`, null);
  }
  const jobs = jobsText === null ? 5 : parseUsize(jobsText) as number;
  return {
    kind: "push",
    options: { cache, paths: positionals.slice(1), ...flags, jobs, forcePreamble },
  };
}
