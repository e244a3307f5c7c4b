/**
 * `attic-ci bootstrap`: the substitution-only fetch of the attic client on
 * its own; prints the client's path on stdout.
 *
 * @module
 */

import { bootstrapAtticClient } from "../attic/bootstrap.ts";
import { ConfigError } from "../errors.ts";
import { secondsOption } from "../options/engine_config.ts";
import { commandLineOf } from "../options/command_specs.ts";
import { readArguments } from "../session/command_config.ts";
import { defaultStateDir, ensurePrivateDir, stateFiles } from "../state/state_dir.ts";
import { DONE, type PlainCommand } from "./outcome.ts";

const LINE = commandLineOf("bootstrap");

/** Runs `bootstrap`; its outcome says whether a client was found. */
export const bootstrapCommand: PlainCommand = async (argv, ctx) => {
  const { system } = ctx;
  const args = await readArguments(argv, ctx, { ...LINE, positionalHint: "see bootstrap --help" });
  if (args === null) return DONE;
  const installable = String(args.values.get("bootstrap-installable")!.value);
  if (installable.length === 0) {
    throw new ConfigError("--bootstrap-installable", "must not be empty");
  }
  const timeoutMs = secondsOption(args.values.get("bootstrap-timeout"), "bootstrap-timeout");
  const dir = String(args.values.get("state-dir")?.value ?? defaultStateDir(system.env));
  const files = stateFiles(dir);
  await ensurePrivateDir(files.dir);
  const result = await bootstrapAtticClient(system, {
    installable,
    outLink: files.atticClientLink,
    timeoutMs,
    path: system.env.PATH,
    clock: system.clock,
  });
  ctx.logger.info(`bootstrap: ${result.reason}`);
  if (result.client !== null) system.stdout(`${result.client}\n`);
  return { kind: "client", found: result.client !== null };
};
