/**
 * What every command receives: the environment, the working directory, and
 * the side-effect seams (processes, logging, output, the store watcher).
 *
 * @module
 */

import type { StoreWatcher } from "../engine/store_watcher.ts";
import type { Logger } from "../log/logger.ts";
import type { CommandRunner } from "../process/command_runner.ts";

/** The side effects a command may use; tests pass real ones or doubles. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly runner: CommandRunner;
  readonly logger: Logger;
  /** Writes to stdout (machine-readable output: paths, JSON). */
  readonly stdout: (text: string) => void;
  /** Opens the store watcher (the real one watches the directory). */
  readonly openWatcher: (storeDir: string) => StoreWatcher;
  /** How to start this program again (for the detached watcher). */
  readonly selfCommand: readonly string[];
}
