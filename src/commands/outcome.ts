/**
 * What a command reports back to the dispatcher, which alone turns it into
 * an exit code (see `dispatch.ts`).
 *
 * @module
 */

import type { ConfigError } from "../errors.ts";
import type { BuildSessionResult } from "../session/build_session.ts";
import type { CommandLine, ReadCommandLine } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import type { RecordedSessionResult } from "../session/recorded_session.ts";

/** Whether the cache got everything, and whether the user asked to fail when not. */
export interface CacheOutcome {
  /** Everything that should be in the cache is. */
  readonly complete: boolean;
  /** `--strict`: an incomplete cache fails the command. */
  readonly strict: boolean;
}

/** How a command ended. */
export type Outcome =
  /** Done; nothing to report (help printed, watcher started, …). */
  | { readonly kind: "done" }
  /** No command was given: the help was printed as a usage error. */
  | { readonly kind: "usage" }
  /** `exec`/`build`: the build's own status, and how caching went. */
  | { readonly kind: "build"; readonly status: number; readonly cache: CacheOutcome }
  /** `start`, `stop`, `push`, `watch`: how caching went. */
  | { readonly kind: "cache"; readonly cache: CacheOutcome }
  /**
   * `stop`: the report was printed, but a configuration error was found on
   * the way (the token gone): the error is in the log; the exit code says it.
   */
  | { readonly kind: "reported-with-error"; readonly error: ConfigError }
  /** `status`: whether a watcher runs. */
  | { readonly kind: "watcher"; readonly running: boolean }
  /** `bootstrap`: whether a client was found. */
  | { readonly kind: "client"; readonly found: boolean };

/**
 * A command that reads its own arguments: arguments and context in, an
 * outcome out. Throws ConfigError for bad input.
 */
export type PlainCommand = (argv: readonly string[], ctx: CommandContext) => Promise<Outcome>;

/**
 * A command of the engine (`exec`, `build`, `start`, `stop`, `push`, `watch`):
 * it declares its command line, and the dispatcher reads it (help, options,
 * variables, saved session, positional arguments) before `run` gets it.
 */
export interface EngineCommand extends CommandLine {
  /** Arguments after `--` are the command's (exec: the build; build: nix's). @default false */
  readonly afterDashes?: boolean;
  /** Runs with the command line read; `after` is what followed `--` (null without one). */
  run(line: ReadCommandLine, after: readonly string[] | null): Promise<Outcome>;
}

/** The outcome of a command that only printed something. */
export const DONE: Outcome = { kind: "done" };

/** The outcome of a build under a session (`exec`, `build`). */
export function buildOutcome(result: BuildSessionResult, strict: boolean): Outcome {
  return { kind: "build", status: result.status, cache: { complete: result.complete, strict } };
}

/** The outcome of ending a recorded session (`stop`, `push`). */
export function recordedOutcome(result: RecordedSessionResult, strict: boolean): Outcome {
  if (result.lateError !== null) return { kind: "reported-with-error", error: result.lateError };
  return { kind: "cache", cache: { complete: result.complete, strict } };
}
