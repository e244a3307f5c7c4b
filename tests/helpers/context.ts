/**
 * An in-process command context for tests: the real system (real processes,
 * real Nix) with the test's environment and working directory, a captured
 * log and stdout, and a store watch of the test's choosing.
 *
 * @module
 */

import { TextLogger } from "../../src/log/logger.ts";
import type { CommandContext } from "../../src/session/context.ts";
import { DenoSystem } from "../../src/system/deno_system.ts";
import type { StoreEvent, StoreWatcher, System } from "../../src/system/system.ts";
import { v8FlagsArgument } from "../../src/system/v8_flags.ts";
import { MAIN } from "./cli.ts";
import { NIX_TEST_ENV } from "./nix.ts";

/** A context plus what it printed. */
export interface TestContext {
  readonly ctx: CommandContext;
  /** Everything logged (stderr in the real CLI). */
  log(): string;
  /** Everything written to stdout. */
  stdout(): string;
}

/** Options of {@linkcode testSystem} and {@linkcode testContext}. */
export interface TestSystemOptions {
  /** @default Deno.cwd() */
  readonly cwd?: string;
  /** Variables over this process's environment (and {@linkcode NIX_TEST_ENV}). */
  readonly env?: Record<string, string>;
  /** Start from nothing instead of this process's environment. @default false */
  readonly clearEnv?: boolean;
  /** The store watch. @default the real one */
  readonly watchStore?: (storeDir: string) => StoreWatcher;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

/** The real system with the test's environment. */
export function testSystem(options: TestSystemOptions = {}): System {
  return new DenoSystem({
    env: { ...(options.clearEnv ? {} : Deno.env.toObject()), ...NIX_TEST_ENV, ...options.env },
    cwd: options.cwd ?? Deno.cwd(),
    selfCommand: [Deno.execPath(), "run", "-A", v8FlagsArgument(), MAIN],
    ...(options.watchStore ? { watchStore: options.watchStore } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    ...(options.stderr ? { stderr: options.stderr } : {}),
  });
}

/** Builds a test context; by default with the real store watch. */
export function testContext(options: TestSystemOptions & { cwd: string }): TestContext {
  let log = "";
  let out = "";
  return {
    ctx: {
      system: testSystem({
        ...options,
        stdout: (text) => out += text,
        stderr: (text) => log += text,
      }),
      logger: new TextLogger((text) => log += text),
    },
    log: () => log,
    stdout: () => out,
  };
}

/** A watch that never reports anything: everything must come from the reconcile. */
export class DeafWatcher implements StoreWatcher {
  #close: () => void = () => {};
  readonly #closed = new Promise<void>((resolve) => this.#close = resolve);

  /** Ends the iteration. */
  close(): void {
    this.#close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoreEvent> {
    await this.#closed;
    // Deaf: the iteration ends without a single event.
    yield* [];
  }
}

/** A watch that reports nothing but a `rescan` every `intervalMs` (a permanently overflowing queue). */
export class RescanningWatcher implements StoreWatcher {
  readonly #intervalMs: number;
  #closed = false;

  /** @param intervalMs time between injected rescans */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Ends the iteration. */
  close(): void {
    this.#closed = true;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoreEvent> {
    while (!this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, this.#intervalMs));
      if (!this.#closed) yield { kind: "rescan", reason: "injected rescan", at: Date.now() };
    }
  }
}
