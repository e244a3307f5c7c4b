/**
 * The side-effect seam: everything attic-ci does to the world outside its own
 * memory and files — starting processes, sending and receiving signals,
 * reading the clock, watching the store, writing to stdout/stderr — goes
 * through one {@linkcode System}. The real one is {@linkcode DenoSystem};
 * tests pass it with their own environment, or wrap it to inject faults.
 *
 * This folder imports nothing of attic-ci but `errors.ts`.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import type { PriorityChange } from "./process_priority.ts";

/** What a finished command left behind. */
export interface CommandResult {
  /** Exit code; 128+N when killed by signal N (shell convention). */
  readonly code: number;
  /** True when the process was stopped by our timeout or abort signal. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run one command to completion. */
export interface RunOptions {
  /** Arguments, without the program name. */
  readonly args: readonly string[];
  /** Variables to add or override in the child's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. @default the system's */
  readonly cwd?: string;
  /** Kill the process (SIGTERM, then SIGKILL) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Kill the process (SIGTERM, then SIGKILL) when aborted. */
  readonly signal?: AbortSignal;
}

/** Starts a program and collects its output. Never throws for a non-zero exit. */
export interface CommandRunner {
  /** Runs `program` to completion; rejects only if it cannot be started at all. */
  run(program: string, options: RunOptions): Promise<CommandResult>;
}

/** A command whose standard output is read as a stream (a NAR from `nix-store --dump`). */
export interface StreamedCommand {
  /** Its standard output, read as it is written. Cancelling it does not stop the process. */
  readonly stdout: ReadableStream<Uint8Array>;
  /** Resolves once it exited; `stdout` is empty here (it was streamed). */
  readonly result: Promise<CommandResult>;
  /** Stops it (SIGTERM, then SIGKILL), e.g. when the upload it feeds failed. */
  stop(): void;
}

/** Starts a program whose output is too large to collect. */
export interface CommandStreamer {
  /** Starts `program`; its stdout streams, its stderr is collected. Timeout and abort stop it. */
  stream(program: string, options: RunOptions): StreamedCommand;
}

/** HTTP requests, through the seam (the built-in Attic client's). */
export interface HttpClient {
  /** The web platform's `fetch`. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

/** What the store watch reports: raw file-system facts; the engine decides what they mean. */
export type StoreEvent =
  /** The entry `name` of the store directory was removed (Nix removes `<path>.lock` when done). */
  | { readonly kind: "removed"; readonly name: string; readonly at: number }
  /** A lock `name` (`<path>.lock`) was created: a Nix process is about to build or fetch it. */
  | { readonly kind: "created"; readonly name: string; readonly at: number }
  /** Events may have been lost (queue overflow, watch error): the store must be diffed. */
  | { readonly kind: "rescan"; readonly reason: string; readonly at: number };

/** A source of {@linkcode StoreEvent}s that can be closed. */
export interface StoreWatcher extends AsyncIterable<StoreEvent> {
  /** Stop watching; the iteration ends. */
  close(): void;
}

/** A process started detached from us. */
export interface DetachedProcess {
  readonly pid: number;
  /** Resolves when it exits (while we still run). */
  readonly exited: Promise<void>;
}

/** A wait for one of some signals. */
export interface SignalWait {
  /** Resolves with the first of the signals received. */
  readonly received: Promise<Deno.Signal>;
  /** Stops listening. */
  dispose(): void;
}

/** How the user's build ended. */
export interface ForegroundResult {
  /** Its exit status; 128+N when killed by signal N. */
  readonly status: number;
  /** The first signal we received and forwarded to it (a Ctrl-C, a GitLab cancel), if any. */
  readonly forwarded: Deno.Signal | null;
}

/** This process's use of the machine, for the report. */
export interface ResourceUse {
  /** Peak resident memory (Linux `VmHWM`), or null where unknown. */
  readonly peakRssBytes: number | null;
  /** User plus system CPU time. */
  readonly cpuSeconds: number;
}

/** Everything attic-ci does to the world outside its memory and its files. */
export interface System extends CommandRunner, CommandStreamer, HttpClient {
  /** The environment we run in (read it here, never from `Deno.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory. */
  readonly cwd: string;
  /** Our own process id. */
  readonly pid: number;
  /** When this process's own code began to run (after Deno's start-up), epoch ms. */
  readonly startedAt: number;
  readonly clock: Clock;
  /** How to start this helper again (for the detached watcher). */
  readonly selfCommand: readonly string[];
  /**
   * Runs the user's build in the foreground: our stdio, our environment
   * (unchanged, hidden variables included: it is their command) plus `env`
   * (the pull side's `NIX_CONFIG`), SIGINT/SIGTERM/SIGHUP/SIGQUIT forwarded
   * to it. Resolves to how it ended; rejects with `Deno.errors.NotFound`
   * when the program does not exist.
   */
  runInForeground(
    argv: readonly string[],
    options?: {
      readonly env?: Readonly<Record<string, string>>;
      /** Called once the build has been started (before it ends). */
      readonly started?: () => void;
    },
  ): Promise<ForegroundResult>;
  /**
   * Lowers this process's CPU priority to nice `niceness` (never raises it),
   * for every thread and so for every child started from now on. Throws when
   * the system refuses.
   */
  lowerPriority(niceness: number): PriorityChange;
  /**
   * Brings this process back to nice `niceness` (the value it had before
   * {@linkcode System.lowerPriority}); returns the threads changed. Throws
   * when the system refuses.
   */
  restorePriority(niceness: number): number;
  /**
   * Starts `argv` fully detached: no stdin/stdout/stderr shared with us (a
   * GitLab job would wait for them), its own session, our environment minus
   * the hidden variables plus `env`.
   */
  spawnDetached(
    argv: readonly string[],
    options?: { env?: Record<string, string> },
  ): DetachedProcess;
  /** Sends `signal` to `pid`; false when there is no such process. */
  kill(pid: number, signal: Deno.Signal): boolean;
  /** Waits for the first of `signals`. */
  waitForSignal(signals: readonly Deno.Signal[]): SignalWait;
  /** Watches the store directory (non-recursively), from the moment this returns. */
  watchStore(storeDir: string): StoreWatcher;
  /**
   * Calls `created` with the name of each file created in `dir` from now on,
   * until the returned function is called; a directory that cannot be
   * watched calls nothing.
   */
  watchCreated(dir: string, created: (name: string) => void): () => void;
  /** This process's memory and CPU so far. */
  resources(): ResourceUse;
  /** The process group of `pid` (null: gone, or not visible); `"self"` for this process's. */
  processGroup(pid: number | "self"): Promise<number | null>;
  /** Writes to stdout (machine-readable output: paths, JSON). */
  stdout(text: string): void;
  /** Writes to stderr (the log). */
  stderr(text: string): void;
  /**
   * The same system, except that no child it starts (but the user's build)
   * sees `variable` — how the token variable is kept out of every `nix`,
   * `nix-store`, `attic` and watcher process, in one place.
   */
  hiding(variable: string): System;
}

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** The Linux number of a signal name (for the 128+N exit-status convention). */
export function signalNumber(signal: Deno.Signal): number {
  return SIGNAL_NUMBERS[signal] ?? 1;
}
