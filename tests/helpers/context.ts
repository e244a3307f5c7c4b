/**
 * An in-process command context for tests: the real process runner against
 * real Nix, a captured log, and a store watcher of the test's choosing.
 *
 * @module
 */

import type { CommandContext } from "../../src/commands/context.ts";
import {
  FsStoreWatcher,
  type StoreEvent,
  type StoreWatcher,
} from "../../src/engine/store_watcher.ts";
import { TextLogger } from "../../src/log/logger.ts";
import { DenoCommandRunner } from "../../src/process/command_runner.ts";
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

/** Builds a test context; by default with the real store watcher. */
export function testContext(options: {
  cwd: string;
  env?: Record<string, string>;
  openWatcher?: (storeDir: string) => StoreWatcher;
}): TestContext {
  let log = "";
  let out = "";
  return {
    ctx: {
      env: { ...Deno.env.toObject(), ...NIX_TEST_ENV, ...options.env },
      cwd: options.cwd,
      runner: new DenoCommandRunner(),
      logger: new TextLogger((text) => log += text),
      stdout: (text) => out += text,
      openWatcher: options.openWatcher ?? ((dir) => new FsStoreWatcher(dir)),
      selfCommand: [Deno.execPath(), "run", "-A", MAIN],
    },
    log: () => log,
    stdout: () => out,
  };
}

/** A watcher that never reports anything: everything must come from the reconcile. */
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

/** A watcher that reports nothing but a `rescan` every `intervalMs` (a permanently overflowing queue). */
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
