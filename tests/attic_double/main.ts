/**
 * The attic test double: `attic push` against a local `file://` binary cache
 * per cache name, with the real client's arguments, configuration, output
 * and exit codes, an invocation log, fault injection and a modelled network.
 * See README.md beside this file.
 *
 * @module
 */

import { parseArgs, type PushOptions } from "./cli_args.ts";
import {
  AtticError,
  configPath,
  loadConfig,
  readToken,
  resolveCache,
  type ResolvedCache,
} from "./config.ts";
import {
  baseName,
  closureOf,
  followStorePath,
  invalidPaths,
  LocalBinaryCache,
  type PathInfo,
  queryPathInfos,
  signatureKeyNames,
  topoSort,
} from "./nix_store.ts";

/** Key names the real server filters by default (`upstream_cache_key_names`). */
export const UPSTREAM_CACHE_KEY_NAMES: readonly string[] = ["cache.nixos.org-1"];

/** One line of `$ATTIC_DOUBLE_ROOT/invocations.jsonl`. */
export interface InvocationRecord {
  argv: string[];
  pid: number;
  /** `"args"` or `"stdin"` for push; null for anything else. */
  mode: "args" | "stdin" | null;
  server: string | null;
  endpoint: string | null;
  /** The URL the real client would GET first (endpoint joined like `Url::join`). */
  cacheConfigUrl: string | null;
  cache: string | null;
  jobs: number | null;
  noClosure: boolean | null;
  /** Top-level store paths requested (after cutting and canonicalising). */
  paths: string[];
  /** Paths uploaded by this invocation, in upload order. */
  pushed: string[];
  /** Paths skipped because the cache already had them. */
  alreadyCached: string[];
  /** Paths skipped because an upstream key signed them. */
  upstream: string[];
  /** Paths whose upload failed. */
  failed: string[];
  /** Hex SHA-256 of the token read from the configuration, never the token. */
  tokenSha256: string | null;
  configPath: string | null;
  /** The injected fault that acted, if any. */
  fault: "exit" | "hang" | "fail-times" | "fail-path" | null;
  /** Milliseconds slept for the modelled network (latency + bandwidth). */
  delayMs: number;
  startedAt: number;
  endedAt: number | null;
  /** Null when the process was ended by `signal`. */
  exitCode: number | null;
  signal: string | null;
}

/** What the double reads from its environment. */
export type Env = Record<string, string | undefined>;

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

function eprintln(text: string): void {
  writeAll(Deno.stderr, text + "\n");
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** indicatif's `HumanBytes`. */
function humanBytes(bytes: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  if (bytes < 1024) return `${Math.floor(bytes)} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

/** A misconfiguration of the double itself (not something real attic could say). */
class DoubleError extends Error {
  override name = "DoubleError";
}

function nonNegativeInt(env: Env, name: string): number {
  const text = env[name];
  if (text === undefined || text === "") return 0;
  if (!/^[0-9]+$/.test(text)) {
    throw new DoubleError(`attic double: ${name} must be a non-negative integer, got '${text}'`);
  }
  return Number(text);
}

/** Fault and network settings, read once. */
interface Faults {
  failTimes: number;
  hangTimes: number;
  failPath: RegExp | null;
  hang: boolean;
  exit: number | null;
  latencyMs: number;
  bandwidthBps: number;
}

function readFaults(env: Env): Faults {
  const failPathText = env.ATTIC_DOUBLE_FAIL_PATH;
  let failPath: RegExp | null = null;
  if (failPathText !== undefined && failPathText !== "") {
    try {
      failPath = new RegExp(failPathText);
    } catch (error) {
      throw new DoubleError(
        `attic double: ATTIC_DOUBLE_FAIL_PATH is not a valid regular expression: ${error}`,
      );
    }
  }
  const exitText = env.ATTIC_DOUBLE_EXIT;
  let exit: number | null = null;
  if (exitText !== undefined && exitText !== "") {
    exit = nonNegativeInt(env, "ATTIC_DOUBLE_EXIT");
    if (exit < 1 || exit > 255) {
      throw new DoubleError(`attic double: ATTIC_DOUBLE_EXIT must be 1..255, got '${exitText}'`);
    }
  }
  const hangText = env.ATTIC_DOUBLE_HANG;
  return {
    failTimes: nonNegativeInt(env, "ATTIC_DOUBLE_FAIL_TIMES"),
    hangTimes: nonNegativeInt(env, "ATTIC_DOUBLE_HANG_TIMES"),
    failPath,
    hang: hangText !== undefined && hangText !== "" && hangText !== "0",
    exit,
    latencyMs: nonNegativeInt(env, "ATTIC_DOUBLE_LATENCY_MS"),
    bandwidthBps: nonNegativeInt(env, "ATTIC_DOUBLE_BANDWIDTH_BPS"),
  };
}

/**
 * Claims one of the first `times` fault slots in `root/<counter>`. Each slot is
 * a file created with `createNew` (O_EXCL), so concurrent invocations never
 * claim the same one.
 */
function claimFaultSlot(root: string, times: number, counter: string): number | null {
  const dir = `${root}/${counter}`;
  Deno.mkdirSync(dir, { recursive: true });
  for (let slot = 1; slot <= times; slot++) {
    try {
      Deno.writeTextFileSync(`${dir}/${slot}`, `${Deno.pid}\n`, { createNew: true });
      return slot;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  return null;
}

function joinUrl(endpoint: string, cache: string): string | null {
  try {
    return new URL(cache, new URL("_api/v1/cache-config/", endpoint)).href;
  } catch {
    return null;
  }
}

/** Reads stdin to its end and returns its lines (the real client streams them). */
async function readStdinLines(): Promise<string[]> {
  const text = await new Response(Deno.stdin.readable).text();
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** State shared with the signal handler. */
interface Run {
  root: string;
  record: InvocationRecord;
  abort: AbortController;
  /** Paths being uploaded, to find out on a signal which ones made it. */
  uploading: string[];
  cache: LocalBinaryCache | null;
}

function appendRecord(root: string, record: InvocationRecord): void {
  Deno.mkdirSync(root, { recursive: true });
  // One write of one line with O_APPEND: concurrent invocations do not interleave.
  Deno.writeTextFileSync(`${root}/invocations.jsonl`, JSON.stringify(record) + "\n", {
    append: true,
  });
}

/**
 * Runs the double with `argv` (without the program name) and returns the
 * exit code. Writes the invocation record when `ATTIC_DOUBLE_ROOT` is set.
 */
export async function main(argv: string[], env: Env): Promise<number> {
  const record: InvocationRecord = {
    argv: [...argv],
    pid: Deno.pid,
    mode: null,
    server: null,
    endpoint: null,
    cacheConfigUrl: null,
    cache: null,
    jobs: null,
    noClosure: null,
    paths: [],
    pushed: [],
    alreadyCached: [],
    upstream: [],
    failed: [],
    tokenSha256: null,
    configPath: null,
    fault: null,
    delayMs: 0,
    startedAt: Date.now(),
    endedAt: null,
    exitCode: null,
    signal: null,
  };
  const root = env.ATTIC_DOUBLE_ROOT;
  const parsed = parseArgs(argv);
  let exitCode: number;
  if (parsed.kind === "print") {
    writeAll(parsed.stream === "stdout" ? Deno.stdout : Deno.stderr, parsed.text);
    exitCode = parsed.exitCode;
  } else if (parsed.kind === "unemulated") {
    eprintln(`attic double: subcommand ${parsed.subcommand} is not emulated`);
    exitCode = 2;
  } else if (root === undefined || root === "") {
    eprintln(
      "attic double: ATTIC_DOUBLE_ROOT is not set. The attic test double needs it: it keeps " +
        "its caches (ROOT/caches/<cache>) and its invocation log (ROOT/invocations.jsonl) there.",
    );
    return 1;
  } else {
    const run: Run = { root, record, abort: new AbortController(), uploading: [], cache: null };
    const onSignal = signalHandler(run);
    const signals: HandledSignal[] = ["SIGTERM", "SIGINT"];
    for (const signal of signals) Deno.addSignalListener(signal, onSignal[signal]);
    try {
      exitCode = await push(parsed.options, env, run);
    } finally {
      for (const signal of signals) Deno.removeSignalListener(signal, onSignal[signal]);
    }
  }
  // A record already written by the signal handler is not written again.
  if (root !== undefined && root !== "" && record.signal === null) {
    record.endedAt = Date.now();
    record.exitCode = exitCode;
    appendRecord(root, record);
  }
  return exitCode;
}

type HandledSignal = "SIGTERM" | "SIGINT";

/** On SIGTERM/SIGINT: stop children, log the invocation, then die of the same signal. */
function signalHandler(run: Run): Record<HandledSignal, () => void> {
  const handle = (signal: HandledSignal) => () => {
    run.abort.abort();
    const cache = run.cache;
    if (cache) {
      const done = run.uploading.filter((path) => cache.has(path));
      run.record.pushed = [...new Set([...run.record.pushed, ...done])];
    }
    run.record.endedAt = Date.now();
    run.record.signal = signal;
    appendRecord(run.root, run.record);
    // Removing our listeners restores the default action, so this kills us
    // the way the real client dies on a signal it does not handle.
    Deno.removeSignalListener("SIGTERM", handlers.SIGTERM);
    Deno.removeSignalListener("SIGINT", handlers.SIGINT);
    Deno.kill(Deno.pid, signal);
  };
  const handlers = { SIGTERM: handle("SIGTERM"), SIGINT: handle("SIGINT") };
  return handlers;
}

async function push(options: PushOptions, env: Env, run: Run): Promise<number> {
  try {
    return await pushOrThrow(options, env, run);
  } catch (error) {
    if (error instanceof AtticError) {
      eprintln(error.report());
      return 1;
    }
    if (error instanceof DoubleError) {
      eprintln(error.message);
      return 1;
    }
    throw error;
  }
}

async function pushOrThrow(options: PushOptions, env: Env, run: Run): Promise<number> {
  const { record } = run;
  record.mode = options.stdin ? "stdin" : "args";
  record.jobs = options.jobs;
  record.noClosure = options.noClosure;
  const faults = readFaults(env);
  const signal = run.abort.signal;

  // Faults that act at once, before anything is read.
  if (faults.exit !== null) {
    record.fault = "exit";
    if (faults.exit === 101) {
      eprintln(
        "thread 'main' panicked at client/src/push.rs:1:1:\n" +
          "attic double: injected panic (ATTIC_DOUBLE_EXIT=101)\n" +
          "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
      );
    } else if (faults.exit === 2) {
      eprintln(
        "error: attic double: injected usage error (ATTIC_DOUBLE_EXIT=2)\n\n" +
          "For more information, try '--help'.",
      );
    } else {
      eprintln(`attic double: injected exit ${faults.exit} (ATTIC_DOUBLE_EXIT)`);
    }
    return faults.exit;
  }
  if (faults.hang) {
    record.fault = "hang";
    eprintln("attic double: hanging until killed (ATTIC_DOUBLE_HANG)");
    // A timer keeps the event loop alive; only a signal ends this.
    await new Promise<never>(() => setInterval(() => {}, 60_000));
  }

  if (options.jobs === 0) throw new AtticError("The number of jobs cannot be 0");

  // Configuration and server resolution (client/src/config.rs).
  const path = configPath(env);
  record.configPath = path;
  const resolved: ResolvedCache = resolveCache(loadConfig(path), options.cache);
  record.server = resolved.serverName;
  record.endpoint = resolved.server.endpoint;
  record.cache = resolved.cache;
  const token = readToken(resolved.server);
  record.tokenSha256 = token === null ? null : await sha256Hex(token);
  const cacheConfigUrl = joinUrl(resolved.server.endpoint, resolved.cache);
  if (cacheConfigUrl === null) {
    throw new AtticError(
      /^[A-Za-z][A-Za-z0-9+.-]*:/.test(resolved.server.endpoint)
        ? "invalid URL"
        : "relative URL without a base",
    );
  }
  record.cacheConfigUrl = cacheConfigUrl;

  // First request to the server: GET cache-config.
  record.delayMs += faults.latencyMs;
  await sleep(faults.latencyMs, signal);
  if (faults.hangTimes > 0 && claimFaultSlot(run.root, faults.hangTimes, "hang-counter") !== null) {
    // A server that stops answering in the middle of a request.
    record.fault = "hang";
    eprintln("attic double: hanging until killed (ATTIC_DOUBLE_HANG_TIMES)");
    await new Promise<never>(() => setInterval(() => {}, 60_000));
  }
  if (faults.failTimes > 0 && claimFaultSlot(run.root, faults.failTimes, "fail-counter") !== null) {
    record.fault = "fail-times";
    throw new AtticError(`error sending request for url (${cacheConfigUrl})`, [
      "client error (Connect)",
      "attic double: injected by ATTIC_DOUBLE_FAIL_TIMES",
    ]);
  }
  const expected = env.ATTIC_DOUBLE_EXPECT_TOKEN_SHA256;
  if (token === null || token === "" || (expected && expected !== record.tokenSha256)) {
    throw new AtticError("Unauthorized: Unauthorized.");
  }

  const cache = new LocalBinaryCache(`${run.root}/caches/${resolved.cache}`);
  run.cache = cache;

  // Roots (client/src/command/push.rs push_static / push_stdin).
  let roots: string[];
  if (options.stdin) {
    roots = [];
    for (const line of await readStdinLines()) {
      if (line === "") continue;
      roots.push(followStorePath(line));
    }
  } else {
    if (options.paths.length === 0) {
      eprintln("🤷 Nothing specified.");
      if (!Deno.stdin.isTerminal()) {
        eprintln("Hint: Pass --stdin to read the list of store paths from standard input.");
      }
      return 0;
    }
    roots = options.paths.map(followStorePath);
  }
  roots = [...new Set(roots)];
  record.paths = roots;

  // Plan (client/src/push.rs PushPlan::plan).
  const invalid = await invalidPaths(roots, signal);
  if (invalid.length > 0) {
    const first = invalid[0];
    throw new AtticError(
      options.noClosure
        ? `nix path-info ${first} exited with exit status: 1: error: path '${first}' is not valid\n`
        : "nix-store exited with exit status: 1",
    );
  }
  const all = options.noClosure ? roots : await closureOf(roots, signal);
  const infos = await queryPathInfos(all, signal);
  const upstream = options.ignoreUpstreamCacheFilter ? [] : all.filter((p) => {
    const info = infos.get(p);
    return info !== undefined &&
      signatureKeyNames(info).some((name) => UPSTREAM_CACHE_KEY_NAMES.includes(name));
  });
  const filtered = all.filter((p) => !upstream.includes(p));
  const alreadyCached = filtered.filter((p) => cache.has(p));
  const missing = topoSort(filtered.filter((p) => !cache.has(p)), infos);
  record.upstream = upstream;
  record.alreadyCached = alreadyCached;

  if (!options.stdin) {
    if (missing.length === 0) {
      if (all.length === 0) eprintln("🤷 Nothing selected.");
      else {
        eprintln(
          `✅ All done! (${alreadyCached.length} already cached, ${upstream.length} in upstream)`,
        );
      }
      return 0;
    }
    eprintln(
      `⚙️ Pushing ${missing.length} paths to "${resolved.cache}" on "${resolved.serverName}" ` +
        `(${alreadyCached.length} already cached, ${upstream.length} in upstream)...`,
    );
  }

  const failures = await upload(missing, infos, cache, faults, run);
  if (failures.length > 0) {
    throw new AtticError((failures[0] as { error: string }).error);
  }
  return 0;
}

const UPLOAD_FAILURE =
  "InternalServerError: The server encountered an internal error or misconfiguration.";

/** Uploads paths (topologically sorted), printing a line per path like the real client. */
async function upload(
  paths: string[],
  infos: Map<string, PathInfo>,
  cache: LocalBinaryCache,
  faults: Faults,
  run: Run,
): Promise<{ path: string; error: string }[]> {
  const { record } = run;
  const signal = run.abort.signal;
  const failures: { path: string; error: string }[] = [];
  const fail = (path: string, error: string) => {
    failures.push({ path, error });
    record.failed.push(path);
    eprintln(`❌ ${baseName(path)}: ${error}`);
  };
  const succeed = (path: string, elapsedMs: number) => {
    record.pushed.push(path);
    const size = infos.get(path)?.narSize ?? 0;
    eprintln(`✅ ${baseName(path)} (${humanBytes(size / Math.max(elapsedMs, 1) * 1000)}/s)`);
  };

  const toUpload: string[] = [];
  for (const path of paths) {
    if (faults.failPath?.test(path)) {
      record.fault = "fail-path";
      fail(path, UPLOAD_FAILURE);
    } else {
      toUpload.push(path);
    }
  }
  run.uploading = toUpload;
  cache.ensure();
  const info = (path: string) => infos.get(path) as PathInfo;
  const referencesReady = (path: string, alsoComing: Set<string>) =>
    info(path).references.every((ref) => ref === path || cache.has(ref) || alsoComing.has(ref));

  if (faults.bandwidthBps > 0) {
    // A modelled link: one path after another, each taking narSize / bandwidth.
    for (const path of toUpload) {
      const started = Date.now();
      const delay = Math.ceil((info(path).narSize * 1000) / faults.bandwidthBps);
      record.delayMs += delay;
      await sleep(delay, signal);
      const viaNix = referencesReady(path, new Set());
      const error = await uploadOne(path, info(path), cache, viaNix, signal);
      if (error === null) succeed(path, Date.now() - started);
      else fail(path, error);
    }
    return failures;
  }

  // All at once: `nix copy` for paths whose references are cached or coming
  // along, a hand-written entry for the others (Nix refuses those).
  const started = Date.now();
  const coming = new Set(toUpload);
  const viaNix = toUpload.filter((path) => referencesReady(path, coming));
  const byHand = toUpload.filter((path) => !referencesReady(path, coming));
  const handErrors = new Map<string, string>();
  for (const path of byHand) {
    const error = await uploadOne(path, info(path), cache, false, signal);
    if (error !== null) handErrors.set(path, error);
  }
  const nixError = await cache.copy(viaNix, signal);
  for (const path of toUpload) {
    const error = handErrors.get(path) ??
      (cache.has(path) ? null : nixError ?? "nix copy did not write the narinfo");
    if (error === null) succeed(path, Date.now() - started);
    else fail(path, error);
  }
  return failures;
}

async function uploadOne(
  path: string,
  info: PathInfo,
  cache: LocalBinaryCache,
  viaNix: boolean,
  signal: AbortSignal,
): Promise<string | null> {
  try {
    if (viaNix) return await cache.copy([path], signal);
    await cache.writeWithoutReferenceCheck(info, signal);
    return null;
  } catch (error) {
    return error instanceof AtticError ? error.message : String(error);
  }
}
