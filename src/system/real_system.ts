/**
 * The real system of a running helper: this process's environment, working
 * directory, stdio and clock, and how to start the helper again (the detached
 * watcher). Built by `src/main.ts` once the program has loaded.
 *
 * @module
 */

import { DenoSystem, type DenoSystemOptions } from "./deno_system.ts";
import type { System } from "./system.ts";
import { v8FlagsArgument } from "./v8_flags.ts";

/**
 * The variable naming the command that starts this helper, set by the
 * component's launcher where the binary runs through an explicit loader
 * (images without an FHS loader, such as nixos/nix): there `Deno.execPath()`
 * is the loader, not the helper.
 */
export const SELF_VARIABLE = "ATTIC_CI_SELF";

/** The program's entry point, which `deno run` starts. */
const MAIN_MODULE = new URL("../main.ts", import.meta.url).pathname;

/** How to start this program again: the launcher, the compiled binary, or deno running `src/main.ts`. */
export function selfCommand(env: Readonly<Record<string, string | undefined>>): string[] {
  const launcher = env[SELF_VARIABLE];
  if (launcher) return [launcher];
  const exec = Deno.execPath();
  const isDeno = /(^|\/)deno(\.exe)?$/.test(exec);
  return isDeno ? [exec, "run", "-A", v8FlagsArgument(), MAIN_MODULE] : [exec];
}

/** What {@linkcode realSystem} may replace: how HTTP requests are sent. */
export type RealSystemOptions = Pick<DenoSystemOptions, "fetch">;

/** The real system over `env` (this process's environment, read once by `src/main.ts`). */
export function realSystem(env: Record<string, string>, options: RealSystemOptions = {}): System {
  return new DenoSystem({ ...options, env, cwd: Deno.cwd(), selfCommand: selfCommand(env) });
}
