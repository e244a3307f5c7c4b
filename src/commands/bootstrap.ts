/**
 * `attic-ci bootstrap`: the substitution-only fetch of the attic client on
 * its own; prints the client's path on stdout.
 *
 * @module
 */

import { bootstrapAtticClient } from "../attic/bootstrap.ts";
import { ConfigError } from "../errors.ts";
import { secondsOption } from "../options/engine_config.ts";
import { commandHelp } from "../options/help.ts";
import { BOOTSTRAP_OPTIONS, GLOBAL_OPTIONS, LOCATION_OPTIONS } from "../options/option_specs.ts";
import { parseCommandArgs } from "../options/parse_args.ts";
import type { CommandContext } from "../session/context.ts";
import { defaultStateDir, ensurePrivateDir, stateFiles } from "../state/state_dir.ts";
import { DONE, type Outcome } from "./outcome.ts";

const OPTIONS = [
  ...BOOTSTRAP_OPTIONS,
  ...LOCATION_OPTIONS.filter((o) => o.flag === "state-dir"),
  ...GLOBAL_OPTIONS,
];

/** `bootstrap --help`. */
export const BOOTSTRAP_HELP = commandHelp(
  "attic-ci bootstrap [OPTIONS]",
  "Fetch the attic client with `nix build REF --max-jobs 0` (download it or fail at once,\n" +
    "never compile it); fall back to an attic on PATH. Prints the client's path; exit 1\n" +
    "when there is none.",
  [{ title: "Options", options: OPTIONS }],
);

/** Runs `bootstrap`; returns the exit code. */
export async function bootstrapCommand(
  argv: readonly string[],
  ctx: CommandContext,
): Promise<Outcome> {
  const { system } = ctx;
  const args = parseCommandArgs(argv, OPTIONS, system.env);
  if (args.values.has("help")) {
    system.stdout(BOOTSTRAP_HELP);
    return DONE;
  }
  if (args.positionals.length > 0) {
    throw new ConfigError(args.positionals[0]!, "unexpected argument", "see bootstrap --help");
  }
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
}
