/**
 * The attic-ci entry point: builds the real system (the only place that
 * reads `Deno.env`), runs the command line, and sets the exit code. Nothing
 * else in the program exits the process.
 *
 * @module
 */

import { run } from "./dispatch.ts";
import { ciLogger } from "./log/logger.ts";
import { DenoSystem } from "./system/deno_system.ts";
import type { System } from "./system/system.ts";
import { v8FlagsArgument } from "./system/v8_flags.ts";

/**
 * The variable naming the command that starts this helper, set by the
 * component's launcher where the binary runs through an explicit loader
 * (images without an FHS loader, such as nixos/nix): there `Deno.execPath()`
 * is the loader, not the helper.
 */
export const SELF_VARIABLE = "ATTIC_CI_SELF";

/** How to start this program again: the launcher, the compiled binary, or deno running this file. */
export function selfCommand(env: Readonly<Record<string, string | undefined>>): string[] {
  const launcher = env[SELF_VARIABLE];
  if (launcher) return [launcher];
  const exec = Deno.execPath();
  const isDeno = /(^|\/)deno(\.exe)?$/.test(exec);
  return isDeno
    ? [exec, "run", "-A", v8FlagsArgument(), new URL(import.meta.url).pathname]
    : [exec];
}

/** The real system: this process's environment, working directory, stdio and clock. */
export function realSystem(): System {
  const env = Deno.env.toObject();
  return new DenoSystem({ env, cwd: Deno.cwd(), selfCommand: selfCommand(env) });
}

if (import.meta.main) {
  const system = realSystem();
  const logger = ciLogger((text) => system.stderr(text), system.env, system.clock);
  Deno.exitCode = await run(Deno.args, { system, logger });
}
