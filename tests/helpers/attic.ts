/**
 * Test helpers for the attic backend: a world with the attic CLI test double
 * (tests/attic_double) and a random token, a flake whose `attic-client` is a
 * wrapper around the double (for the bootstrap), the CLI as a long-running
 * process, and a scan that looks for a secret where it must never be.
 *
 * @module
 */

import type { InvocationRecord } from "../attic_double/main.ts";
import { v8FlagsArgument } from "../../src/system/v8_flags.ts";
import { MAIN, readReport } from "./cli.ts";
import { NIX_TEST_ENV, ROOT, sh, tempDir } from "./nix.ts";

/** The directory of the attic test double; first on PATH, it is `attic`. */
export const DOUBLE_DIR = `${ROOT}/tests/attic_double`;

/** The attic test double's executable. */
export const DOUBLE = `${DOUBLE_DIR}/attic`;

/** A server URL that never resolves: the double records it but speaks no HTTP. */
export const SERVER = "http://attic.test.invalid/";

/** The cache name the tests push to. */
export const CACHE = "main";

/**
 * A bootstrap installable that fails at once (the flake does not exist), so
 * the PATH fallback or deferred mode is taken without touching the store.
 */
export const NO_CLIENT_INSTALLABLE = "path:/nonexistent/attic-ci-test#attic-client";

/** A fresh random secret, standing in for an attic token. */
export function randomSecret(): string {
  return `attic-secret-${crypto.randomUUID()}`;
}

/** Hex SHA-256 of `text` (the double logs the token's hash, never the token). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A temporary directory with a state dir, the double's root and a token. */
export interface AtticWorld {
  /** The temporary directory holding everything below (also the working directory). */
  readonly dir: string;
  /** `--state-dir`. */
  readonly state: string;
  /** `ATTIC_DOUBLE_ROOT`. */
  readonly root: string;
  /** The binary cache the double fills for {@linkcode CACHE}. */
  readonly cache: string;
  /** The token, held by `ATTIC_TOKEN` in {@linkcode AtticWorld.env}. */
  readonly token: string;
  /** Variables for the CLI: the token, the double's root, and PATH (with the double first, if asked). */
  readonly env: Record<string, string>;
  /** The engine flags every attic command of a test uses. */
  args(...extra: string[]): string[];
  /** The double's invocation log. */
  invocations(): Promise<InvocationRecord[]>;
  /** Removes the temporary directory. */
  dispose(): Promise<void>;
}

/** Options of {@linkcode atticWorld}. */
export interface AtticWorldOptions {
  /** Put the double first on PATH. @default true */
  readonly onPath?: boolean;
  /** `--bootstrap-installable`. @default NO_CLIENT_INSTALLABLE */
  readonly installable?: string;
}

/** Makes an {@linkcode AtticWorld}. */
export async function atticWorld(options: AtticWorldOptions = {}): Promise<AtticWorld> {
  const dir = await tempDir("attic-ci-attic-test-");
  const root = `${dir}/double`;
  const state = `${dir}/state`;
  const token = randomSecret();
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  return {
    dir,
    state,
    root,
    cache: `${root}/caches/${CACHE}`,
    token,
    env: {
      PATH: options.onPath === false ? path : `${DOUBLE_DIR}:${path}`,
      ATTIC_DOUBLE_ROOT: root,
      ATTIC_TOKEN: token,
    },
    args: (...extra) => [
      "--cache",
      CACHE,
      "--server",
      SERVER,
      "--state-dir",
      state,
      "--bootstrap-installable",
      options.installable ?? NO_CLIENT_INSTALLABLE,
      // This world tests the attic CLI's way (the double); the double has no server to read a
      // cache configuration from, so nothing is pulled. The default way (auto, pulling from
      // the Attic test server) has tests of its own.
      "--attic-client",
      "cli",
      "--no-pull",
      ...extra,
    ],
    invocations: async () => {
      let text: string;
      try {
        text = await Deno.readTextFile(`${root}/invocations.jsonl`);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return [];
        throw error;
      }
      return text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
    },
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
}

/** The JSON report with the fields the attic tests read. */
export type AtticReport = Awaited<ReturnType<typeof readReport>> & {
  command: string;
  backend: string;
  target: string;
  deferred: number;
  bootstrap: { mode: string; reason: string; seconds: number } | null;
  failures: Record<string, string>;
};

/** Reads the report written with `--report FILE`. */
export async function readAtticReport(file: string): Promise<AtticReport> {
  return await readReport(file) as AtticReport;
}

/** The store paths carrying `tag` that the report says were pushed, sorted. */
export function pushedWithTag(report: AtticReport, tag: string): string[] {
  return report.paths.filter((p) => p.path.includes(`-${tag}-`) && p.pushedAt !== null)
    .map((p) => p.path).sort();
}

let system: string | undefined;

/** This machine's Nix system, e.g. `x86_64-linux`. */
export async function currentSystem(): Promise<string> {
  if (system === undefined) {
    const result = await sh("nix", [
      "--extra-experimental-features",
      "nix-command",
      "eval",
      "--impure",
      "--raw",
      "--expr",
      "builtins.currentSystem",
    ]);
    if (result.code !== 0) throw new Error(`nix eval failed: ${result.stderr}`);
    system = result.stdout.trim();
  }
  return system;
}

/** A flake whose `attic-client` is a small wrapper script around the double. */
export interface ClientFlake {
  /** `path:<dir>#attic-client`. */
  readonly installable: string;
  /** The client's store path (not built by writing the flake). */
  readonly outPath: string;
}

/**
 * Writes a flake in `dir` with `packages.<system>.attic-client`: a derivation
 * named after `tag` (so it is new) whose `$out/bin/attic` execs the double.
 * It builds with /bin/sh alone, in a fraction of a second.
 */
export async function writeClientFlake(dir: string, tag: string): Promise<ClientFlake> {
  const sys = await currentSystem();
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/flake.nix`,
    `{
  outputs = { self }: {
    packages.${sys}.attic-client = derivation {
      system = "${sys}";
      name = "attic-client-${tag}";
      builder = "/bin/sh";
      args = [ "-c" ''
        /bin/mkdir -p $out/bin
        printf '#!/bin/sh\\nexec %s "$@"\\n' ${DOUBLE} > $out/bin/attic
        /bin/chmod +x $out/bin/attic
      '' ];
    };
  };
}
`,
  );
  const result = await sh("nix", [
    "--extra-experimental-features",
    "nix-command flakes",
    "eval",
    "--raw",
    `path:${dir}#packages.${sys}.attic-client.outPath`,
  ]);
  if (result.code !== 0) throw new Error(`cannot evaluate the client flake: ${result.stderr}`);
  return { installable: `path:${dir}#attic-client`, outPath: result.stdout.trim() };
}

/** The `nix` arguments that build an installable (normally, compiling allowed). */
export function nixBuildArgs(installable: string, outLink: string): string[] {
  return [
    "--extra-experimental-features",
    "nix-command flakes",
    "build",
    installable,
    "--out-link",
    outLink,
  ];
}

/** Whether `path` is a valid store path. */
export async function isValidPath(path: string): Promise<boolean> {
  return (await sh("nix-store", ["--check-validity", path])).code === 0;
}

/** Whether anything exists at `path` (a link is not followed). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Starts `attic-ci ARGS…` as a process with piped output (for commands that run a while). */
export function spawnCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", v8FlagsArgument(), MAIN, ...args],
    env: { ...NIX_TEST_ENV, ...options.env },
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** A finished process's exit code and output as text. */
export interface Finished {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Waits for `child` to exit and close its output. A guard against hanging,
 * not a timing assertion: after `limitMs` the child is killed and the test
 * fails with `what`.
 */
export async function finish(
  child: Deno.ChildProcess,
  what: string,
  limitMs = 120_000,
): Promise<Finished> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      reject(new Error(`${what} did not finish within ${limitMs / 1000} s`));
    }, limitMs);
  });
  try {
    const out = await Promise.race([child.output(), limit]);
    const d = new TextDecoder();
    return {
      code: out.code,
      signal: out.signal,
      stdout: d.decode(out.stdout),
      stderr: d.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 100 ms; fails with `what` if it does not hold within `limitMs`. */
export async function waitFor(
  condition: () => Promise<boolean>,
  what: string,
  limitMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether process `pid` has exited (no longer exists, or is a zombie nobody reaped yet). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces) start with the state letter.
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/**
 * Test cleanup: kills the watcher named by the state directory's pidfile, if
 * that pid still is a watcher of this state directory (never a recycled pid).
 */
export async function killWatcher(state: string): Promise<void> {
  const pid = await watcherPid(state);
  if (pid === null) return;
  const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0");
  if (!argv.includes("__watch") || !argv.includes(state)) return;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* it exited meanwhile */ }
}

/** The pid in a state directory's `watcher.pid`, or null. */
export async function watcherPid(state: string): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(`${state}/watcher.pid`)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * The state files that may hold the token: the token file, and the temporary
 * file it is atomically written through (0600 as well).
 */
export function isTokenFile(relative: string): boolean {
  return /^(token|netrc)(\.[0-9a-f-]+\.tmp)?$/.test(relative);
}

/** What {@linkcode SecretScan} found. */
export interface SecretFindings {
  /** How many times the processes and the state directory were scanned. */
  readonly scans: number;
  /** Processes whose command line held the secret (`pid program`, secret not shown). */
  readonly argv: string[];
  /** Files under the state directory, other than the allowed ones, that held the secret. */
  readonly files: string[];
  /** Allowed files that held the secret but were not 0600. */
  readonly looseFiles: string[];
  /** Attic children whose environment held the secret. */
  readonly atticEnviron: string[];
  /** Distinct attic children seen while scanning. */
  readonly atticChildren: number;
  /** Distinct processes seen whose command line the `marker` picked out. */
  readonly marked: number;
}

/**
 * Looks for a secret where it must never be, over and over while a command
 * runs: every process's command line (`/proc/PID/cmdline`), every file under
 * the state directory except the allowed ones (which must be 0600), and the
 * environment of every attic child. Call {@linkcode SecretScan.stop} to end
 * it and get the findings.
 */
export class SecretScan {
  readonly #secret: string;
  readonly #state: string;
  readonly #allowed: (relative: string) => boolean;
  readonly #marker: (argv: readonly string[]) => boolean;
  readonly #argv = new Set<string>();
  readonly #files = new Set<string>();
  readonly #loose = new Set<string>();
  readonly #environ = new Set<string>();
  readonly #attic = new Set<number>();
  readonly #marked = new Set<number>();
  #scans = 0;
  #stopped = false;
  readonly #loop: Promise<void>;

  /**
   * @param secret what must not leak
   * @param options the state directory, which of its files may hold the
   * secret (path relative to it), and a marker that picks out the build's
   * processes by their command line (to prove the scan overlapped the build)
   */
  constructor(
    secret: string,
    options: {
      state: string;
      allowed: (relative: string) => boolean;
      marker: (argv: readonly string[]) => boolean;
    },
  ) {
    this.#secret = secret;
    this.#state = options.state;
    this.#allowed = options.allowed;
    this.#marker = options.marker;
    this.#loop = this.#run();
  }

  /** Stops scanning after one last scan; returns the findings. */
  async stop(): Promise<SecretFindings> {
    this.#stopped = true;
    await this.#loop;
    await this.#scan();
    return {
      scans: this.#scans,
      argv: [...this.#argv],
      files: [...this.#files],
      looseFiles: [...this.#loose],
      atticEnviron: [...this.#environ],
      atticChildren: this.#attic.size,
      marked: this.#marked.size,
    };
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#scan();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async #scan(): Promise<void> {
    this.#scans++;
    await this.#scanProcesses();
    await this.#scanFiles(this.#state);
  }

  async #scanProcesses(): Promise<void> {
    for await (const entry of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const pid = Number(entry.name);
      const cmdline = await readText(`/proc/${pid}/cmdline`);
      if (cmdline === null) continue;
      const argv = cmdline.split("\0");
      if (cmdline.includes(this.#secret)) this.#argv.add(`${pid} ${argv[0]}`);
      if (this.#marker(argv)) this.#marked.add(pid);
      if (argv.includes(DOUBLE) && argv.includes("push")) {
        const environ = await readText(`/proc/${pid}/environ`);
        if (environ === null) continue;
        this.#attic.add(pid);
        if (environ.includes(this.#secret)) this.#environ.add(`${pid} ${argv.join(" ")}`);
      }
    }
  }

  async #scanFiles(dir: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) {
        await this.#scanFiles(path);
        continue;
      }
      if (!entry.isFile) continue;
      const text = await readText(path);
      if (text === null || !text.includes(this.#secret)) continue;
      const relative = path.slice(this.#state.length + 1);
      if (!this.#allowed(relative)) {
        this.#files.add(relative);
        continue;
      }
      const mode = (await Deno.stat(path).catch(() => null))?.mode;
      if (mode !== undefined && mode !== null && (mode & 0o777) !== 0o600) {
        this.#loose.add(`${relative} (${(mode & 0o777).toString(8)})`);
      }
    }
  }
}

/** A file's text, or null when it vanished (processes and temporary files come and go). */
async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/** The permission bits of `path`, e.g. `0o600`. */
export async function modeOf(path: string): Promise<number> {
  const mode = (await Deno.stat(path)).mode;
  if (mode === null) throw new Error(`no mode for ${path}`);
  return mode & 0o777;
}
