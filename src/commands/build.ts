/**
 * `attic-ci build [INSTALLABLE…] [-- NIX_ARGS…]`: `nix build` under the
 * lifecycle of `exec`. It exists for the component: installables and Nix
 * flags arrive as list variables (`ATTIC_CI_INSTALLABLES`,
 * `ATTIC_CI_NIX_FLAGS`) and become argv items here, so no value is ever
 * pasted into shell code. The new CLI and flakes are enabled for this `nix`
 * alone (`--extra-experimental-features`): the default image, nixos/nix,
 * enables neither, and the image's own setting is left as it is.
 *
 * @module
 */

import type { RawValue } from "../options/parse_args.ts";
import { commandLineOf } from "../options/command_specs.ts";
import { runBuildSession } from "../session/build_session.ts";
import { buildOutcome, type EngineCommand } from "./outcome.ts";

/** `attic-ci build`. */
export const buildCommand: EngineCommand = {
  ...commandLineOf("build"),
  positionals: true,
  afterDashes: true,
  async run({ args, config, ctx }, after) {
    const installables = args.positionals.length > 0
      ? args.positionals
      : listValue(args.values.get("installables"));
    const nixFlags = after ?? listValue(args.values.get("nix-flags"));
    const command = [
      "nix",
      // For this nix only: images such as nixos/nix enable neither, and their setting stays.
      "--extra-experimental-features",
      "nix-command flakes",
      "build",
      ...nixFlags,
      ...installables,
    ];
    ctx.logger.info(`running: ${displayCommand(command)}`);
    // Without installables nix build builds .#default: so does the closure, when one is needed.
    const built = {
      installables: installables.length > 0 ? installables : [".#default"],
      nixFlags,
    };
    return buildOutcome(await runBuildSession(config, command, ctx, "build", built), config.strict);
  },
};

function listValue(value: RawValue | undefined): string[] {
  return Array.isArray(value?.value) ? value.value : [];
}

/** The command as a person would type it in a POSIX shell (for the log only; never run). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((arg) =>
    /^[\w@%+=:,./#-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
  )
    .join(" ");
}
