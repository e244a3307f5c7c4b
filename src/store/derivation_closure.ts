/**
 * The paths a build of some installables can make or fetch: the outputs of
 * every derivation in their closure, and its sources. Asked of Nix —
 * `nix build --dry-run --json` evaluates the installables (with the build's
 * own flags, and no substituter asked: nothing is fetched or looked up),
 * `nix-store --query --requisites` gives the derivations' closure, and
 * `nix-store --query --outputs` their outputs — which also works through a
 * daemon, for a user it does not trust.
 *
 * @module
 */

import { CommandError, stderrTail } from "../errors.ts";
import type { CommandRunner } from "../system/system.ts";
import { isDerivation, type StorePath } from "./store_path.ts";

/** Arguments per `nix-store` call, well under the kernel's argv limit. */
const CHUNK = 2_000;

/** Options of {@linkcode derivationClosure}. */
export interface DerivationClosureOptions {
  readonly installables: readonly string[];
  /** The build's own flags (`--impure`, `--override-input …`): they shape what is evaluated. */
  readonly nixFlags?: readonly string[];
  /** Variables for the `nix` calls (the job's). */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** The outputs and sources of the installables' derivation closure. Throws CommandError. */
export async function derivationClosure(
  runner: CommandRunner,
  options: DerivationClosureOptions,
): Promise<Set<StorePath>> {
  const common = {
    ...(options.env ? { env: options.env } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const dry = await runner.run("nix", {
    args: [
      "--extra-experimental-features",
      "nix-command flakes",
      "build",
      "--dry-run",
      "--json",
      "--option",
      "substituters",
      "",
      ...(options.nixFlags ?? []),
      ...options.installables,
    ],
    ...common,
  });
  if (dry.code !== 0) {
    throw new CommandError(
      `nix build --dry-run failed (exit ${dry.code}): ${stderrTail(dry.stderr)}`,
      dry.code,
      dry.stderr,
    );
  }
  const tops = parseDryRun(dry.stdout);
  const closure = await query(runner, ["--query", "--requisites"], tops, common);
  const derivations = closure.filter((path) => isDerivation(path));
  const outputs = await query(runner, ["--query", "--outputs"], derivations, common);
  return new Set([...closure.filter((path) => !isDerivation(path)), ...outputs]);
}

/** The derivations of `nix build --dry-run --json`'s answer. */
export function parseDryRun(json: string): StorePath[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new CommandError("nix build --dry-run --json printed no JSON", 0, "");
  }
  if (!Array.isArray(parsed)) {
    throw new CommandError("nix build --dry-run --json: not a list", 0, "");
  }
  return parsed.flatMap((item) =>
    typeof item?.drvPath === "string" ? [item.drvPath as StorePath] : []
  );
}

async function query(
  runner: CommandRunner,
  flags: readonly string[],
  paths: readonly StorePath[],
  common: { env?: Readonly<Record<string, string>>; signal?: AbortSignal },
): Promise<StorePath[]> {
  const found: StorePath[] = [];
  for (let i = 0; i < paths.length; i += CHUNK) {
    const result = await runner.run("nix-store", {
      args: [...flags, ...paths.slice(i, i + CHUNK)],
      ...common,
    });
    if (result.code !== 0) {
      throw new CommandError(
        `nix-store ${flags.join(" ")} failed (exit ${result.code}): ${stderrTail(result.stderr)}`,
        result.code,
        result.stderr,
      );
    }
    found.push(...result.stdout.split("\n").filter((line) => line.length > 0));
  }
  return found;
}
