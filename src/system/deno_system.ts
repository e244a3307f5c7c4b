/**
 * The real {@linkcode System}: Deno's processes, signals, clock, file watch
 * and stdio. Only this file (and `main.ts`, which builds it) touches
 * `Deno.Command`, `Deno.kill`, signal listeners and the real time.
 *
 * @module
 */

import process from "node:process";
import { type Clock, systemClock } from "./clock.ts";
import { ChildMemoryReclaimer } from "./native_memory.ts";
import { lowerOwnPriority, type PriorityChange, restoreOwnPriority } from "./process_priority.ts";
import { type DirWatch, openDirWatch } from "./dir_watch.ts";
import { FsStoreWatcher } from "./store_watch.ts";
import {
  type CommandResult,
  type DetachedProcess,
  type ForegroundResult,
  type ResourceUse,
  type RunOptions,
  signalNumber,
  type SignalWait,
  type StoreWatcher,
  type StreamedCommand,
  type System,
} from "./system.ts";

/** Grace period between SIGTERM and SIGKILL when a command must stop. */
const KILL_GRACE_MS = 2_000;

/** Signals the user's build receives when we do (a Ctrl-C or a GitLab cancel). */
const FORWARDED: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/** Options of {@linkcode DenoSystem}. */
export interface DenoSystemOptions {
  /** The environment: the children's, and every variable attic-ci reads. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** How to start this helper again. */
  readonly selfCommand: readonly string[];
  /** @default Deno.stdout */
  readonly stdout?: (text: string) => void;
  /** @default Deno.stderr */
  readonly stderr?: (text: string) => void;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Opens the store watch. @default a {@linkcode FsStoreWatcher} */
  readonly watchStore?: (storeDir: string) => StoreWatcher;
  /** Variables no child but the user's build sees. @default [] */
  readonly hidden?: readonly string[];
  /** HTTP requests. @default the platform's `fetch` */
  readonly fetch?: (input: string | URL, init?: RequestInit) => Promise<Response>;
  /** Gives back what finished children leave in native memory. @default a new one */
  readonly reclaimer?: ChildMemoryReclaimer;
  /** When the program's code began to run. @default when this system is made */
  readonly startedAt?: number;
}

/** The real system. */
export class DenoSystem implements System {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly pid = Deno.pid;
  readonly startedAt: number;
  readonly clock: Clock;
  readonly selfCommand: readonly string[];
  readonly #options: DenoSystemOptions;
  readonly #hidden: ReadonlySet<string>;
  readonly #reclaimer: ChildMemoryReclaimer;

  /** @param options the environment and working directory, and what tests replace */
  constructor(options: DenoSystemOptions) {
    this.#options = options;
    this.env = options.env;
    this.cwd = options.cwd;
    this.clock = options.clock ?? systemClock;
    this.selfCommand = options.selfCommand;
    this.#hidden = new Set(options.hidden ?? []);
    this.#reclaimer = options.reclaimer ?? new ChildMemoryReclaimer();
    this.startedAt = options.startedAt ?? this.clock.now();
  }

  /** The same system, with `variable` kept from every child but the user's build. */
  hiding(variable: string): System {
    return new DenoSystem({
      ...this.#options,
      hidden: [...this.#hidden, variable],
      reclaimer: this.#reclaimer,
      startedAt: this.startedAt,
    });
  }

  /** A child's environment: ours, minus the hidden variables, plus `extra`. */
  #childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.env)) {
      if (value !== undefined && !this.#hidden.has(name)) env[name] = value;
    }
    return { ...env, ...extra };
  }

  /** Runs the program to completion, enforcing timeout and abort with SIGTERM then SIGKILL. */
  async run(program: string, options: RunOptions): Promise<CommandResult> {
    const child = this.#start(program, options);
    try {
      // Not output(): in Deno 2.9 it leaves ~75 KB of native memory per process until a
      // garbage collection that rarely comes (measured: +150 MB over 2,000 validity checks).
      // Reading the streams leaves less, and the reclaimer collects it every so many children.
      const [stdout, stderr, status] = await Promise.all([
        new Response(child.process.stdout).text(),
        new Response(child.process.stderr).text(),
        child.process.status,
      ]);
      return child.ended(status, stdout, stderr);
    } finally {
      child.dispose();
    }
  }

  /** Starts the program with its stdout as a stream; timeout, abort and `stop()` end it. */
  stream(program: string, options: RunOptions): StreamedCommand {
    const child = this.#start(program, options);
    const result = Promise.all([new Response(child.process.stderr).text(), child.process.status])
      .then(([stderr, status]) => child.ended(status, "", stderr))
      .finally(() => child.dispose());
    return { stdout: child.process.stdout, result, stop: child.stop };
  }

  /** HTTP through the platform's `fetch`, unless the options replaced it. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response> {
    return (this.#options.fetch ?? fetch)(input, init);
  }

  /** Spawns a piped child with our timeout, abort and SIGTERM-then-SIGKILL stop. */
  #start(program: string, options: RunOptions): StartedChild {
    const process = new Deno.Command(program, {
      args: [...options.args],
      env: this.#childEnv(options.env),
      clearEnv: true,
      cwd: options.cwd ?? this.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();

    let timedOut = false;
    let killTimer: ReturnType<Clock["setTimeout"]> | undefined;
    const stop = () => {
      if (timedOut) return;
      timedOut = true;
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      killTimer = this.clock.setTimeout(() => {
        try {
          process.kill("SIGKILL");
        } catch { /* already gone */ }
      }, KILL_GRACE_MS);
    };
    const timeout = options.timeoutMs !== undefined
      ? this.clock.setTimeout(stop, options.timeoutMs)
      : undefined;
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", stop, { once: true });
    return {
      process,
      stop,
      ended: (status, stdout, stderr) => {
        this.#reclaimer.childEnded();
        return {
          code: status.signal ? 128 + signalNumber(status.signal) : status.code,
          timedOut,
          stdout,
          stderr,
        };
      },
      dispose: () => {
        if (timeout !== undefined) this.clock.clearTimeout(timeout);
        if (killTimer !== undefined) this.clock.clearTimeout(killTimer);
        options.signal?.removeEventListener("abort", stop);
      },
    };
  }

  /** The user's build: inherited stdio and environment, our signals forwarded. */
  async runInForeground(
    argv: readonly string[],
    options: {
      readonly env?: Readonly<Record<string, string>>;
      readonly started?: () => void;
    } = {},
  ): Promise<ForegroundResult> {
    const [program, ...args] = argv;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.env)) {
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, options.env);
    const child = new Deno.Command(program!, {
      args,
      cwd: this.cwd,
      // The user's own command: its environment is ours, hidden variables included.
      env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    let forwarded: Deno.Signal | null = null;
    const forwarders = FORWARDED.map((signal) => {
      const handler = () => {
        forwarded ??= signal;
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      };
      try {
        Deno.addSignalListener(signal, handler);
      } catch { /* not supported on this platform */ }
      return { signal, handler };
    });
    options.started?.();
    try {
      const status = await child.status;
      return {
        status: status.signal ? 128 + signalNumber(status.signal) : status.code,
        forwarded,
      };
    } finally {
      for (const { signal, handler } of forwarders) {
        try {
          Deno.removeSignalListener(signal, handler);
        } catch { /* not supported */ }
      }
    }
  }

  /** A detached child: null stdio, its own process group, not waited for by us. */
  spawnDetached(
    argv: readonly string[],
    options: { env?: Record<string, string> } = {},
  ): DetachedProcess {
    const [program, ...args] = argv;
    const child = new Deno.Command(program!, {
      args,
      cwd: this.cwd,
      env: this.#childEnv(options.env),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
    return { pid: child.pid, exited: child.status.then(() => {}, () => {}) };
  }

  /** `kill(2)`; false when there is no such process (or it is not ours to signal). */
  kill(pid: number, signal: Deno.Signal): boolean {
    try {
      Deno.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves with the first of `signals`, then stops listening to all of them. */
  waitForSignal(signals: readonly Deno.Signal[]): SignalWait {
    let handlers: { signal: Deno.Signal; handler: () => void }[] = [];
    const dispose = () => {
      for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
      handlers = [];
    };
    const received = new Promise<Deno.Signal>((resolve) => {
      handlers = signals.map((signal) => {
        const handler = () => {
          dispose();
          resolve(signal);
        };
        Deno.addSignalListener(signal, handler);
        return { signal, handler };
      });
    });
    return { received, dispose };
  }

  /** A watch of `dir`'s creations ({@linkcode openDirWatch}); nothing when `dir` cannot be watched. */
  watchCreated(dir: string, created: (name: string) => void): () => void {
    let watch: DirWatch;
    try {
      watch = openDirWatch(dir, { created: true, removed: false });
    } catch {
      return () => {};
    }
    (async () => {
      try {
        for await (const event of watch) if (event.kind === "created") created(event.name);
      } catch { /* closed */ }
    })();
    return () => watch.close();
  }

  /** The real watch, unless the options replaced it. */
  watchStore(storeDir: string): StoreWatcher {
    return this.#options.watchStore?.(storeDir) ??
      new FsStoreWatcher(storeDir, { clock: this.clock });
  }

  /** Peak RSS from `/proc/self/status` (Linux), CPU time from the process. */
  resources(): ResourceUse {
    let peakRssBytes: number | null = null;
    try {
      const status = Deno.readTextFileSync("/proc/self/status");
      const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
      peakRssBytes = kb ? Number(kb) * 1024 : null;
    } catch { /* not Linux */ }
    const cpu = process.cpuUsage();
    return { peakRssBytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  }

  lowerPriority(niceness: number): PriorityChange {
    return lowerOwnPriority(niceness);
  }

  restorePriority(niceness: number): number {
    return restoreOwnPriority(niceness);
  }

  /** Field 5 of `/proc/<pid>/stat`. */
  async processGroup(pid: number | "self"): Promise<number | null> {
    try {
      return parseProcessGroup(await Deno.readTextFile(`/proc/${pid}/stat`));
    } catch {
      return null;
    }
  }

  /** Writes to stdout. */
  stdout(text: string): void {
    (this.#options.stdout ?? writeAll(Deno.stdout))(text);
  }

  /** Writes to stderr. */
  stderr(text: string): void {
    (this.#options.stderr ?? writeAll(Deno.stderr))(text);
  }
}

/** A child started by {@linkcode DenoSystem}, with how to stop it and how to end its bookkeeping. */
interface StartedChild {
  readonly process: Deno.ChildProcess;
  /** SIGTERM now, SIGKILL after the grace period. */
  readonly stop: () => void;
  /** Its result, once it exited. */
  readonly ended: (status: Deno.CommandStatus, stdout: string, stderr: string) => CommandResult;
  /** Clears its timers and listeners. */
  readonly dispose: () => void;
}

function writeAll(stream: { writeSync(p: Uint8Array): number }): (text: string) => void {
  const encoder = new TextEncoder();
  return (text) => {
    const bytes = encoder.encode(text);
    for (let offset = 0; offset < bytes.length;) offset += stream.writeSync(bytes.subarray(offset));
  };
}

/** The process group in `/proc/<pid>/stat` (after the command name, which may hold spaces). */
export function parseProcessGroup(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const pgid = Number(fields[2]);
  return Number.isInteger(pgid) ? pgid : null;
}
