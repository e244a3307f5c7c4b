/**
 * The attic-ci entry point: wires the real side effects and runs the command
 * line. Nothing else in the program exits the process.
 *
 * @module
 */

import { run } from "./cli/run.ts";
import type { CommandContext } from "./commands/context.ts";
import { FsStoreWatcher } from "./engine/store_watcher.ts";
import { stderrLogger } from "./log/logger.ts";
import { DenoCommandRunner } from "./process/command_runner.ts";

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
  return isDeno ? [exec, "run", "-A", new URL(import.meta.url).pathname] : [exec];
}

/** The real context: this process's environment, stdio, processes and store. */
export function realContext(): CommandContext {
  const env = Deno.env.toObject();
  const encoder = new TextEncoder();
  return {
    env,
    cwd: Deno.cwd(),
    runner: new DenoCommandRunner(),
    logger: stderrLogger(env),
    stdout: (text) => {
      const bytes = encoder.encode(text);
      for (let offset = 0; offset < bytes.length;) {
        offset += Deno.stdout.writeSync(bytes.subarray(offset));
      }
    },
    openWatcher: (storeDir) => new FsStoreWatcher(storeDir),
    selfCommand: selfCommand(env),
  };
}

if (import.meta.main) {
  Deno.exitCode = await run(Deno.args, realContext());
}
