/**
 * Verify: only valid store paths are pushed. A failed build leaves an invalid
 * output directory (and a stale lock) behind; pushing it would fail or, with
 * `attic watch-store`, crash the uploader. Validity is checked in bulk, one
 * `nix-store` process per batch of paths, never one per path.
 *
 * @module
 */

import { CommandError, stderrTail } from "../errors.ts";
import type { CommandRunner } from "../system/system.ts";
import type { StorePath } from "./store_path.ts";

/** The outcome of a validity check. */
export interface Validity {
  readonly valid: StorePath[];
  readonly invalid: StorePath[];
}

/** Checks which store paths are valid (registered in the Nix database). */
export interface ValidityChecker {
  /** Splits `paths` into valid and invalid ones. Rejects when Nix cannot answer. */
  check(paths: readonly StorePath[], signal?: AbortSignal): Promise<Validity>;
}

/** Arguments per `nix-store` call, well under the kernel's argv limit. */
const CHUNK = 2_000;

/** {@linkcode ValidityChecker} on `nix-store --check-validity --print-invalid`. */
export class NixValidityChecker implements ValidityChecker {
  readonly #runner: CommandRunner;

  /** @param runner how to start `nix-store` */
  constructor(runner: CommandRunner) {
    this.#runner = runner;
  }

  /** One `nix-store` call per 2,000 paths. */
  async check(paths: readonly StorePath[], signal?: AbortSignal): Promise<Validity> {
    const valid: StorePath[] = [];
    const invalid: StorePath[] = [];
    for (let i = 0; i < paths.length; i += CHUNK) {
      const chunk = paths.slice(i, i + CHUNK);
      const result = await this.#runner.run("nix-store", {
        args: ["--check-validity", "--print-invalid", ...chunk],
        ...(signal ? { signal } : {}),
      });
      if (result.code !== 0) {
        throw new CommandError(
          `nix-store --check-validity failed (exit ${result.code}): ${stderrTail(result.stderr)}`,
          result.code,
          result.stderr,
        );
      }
      const printed = new Set(result.stdout.split("\n").filter((l) => l.length > 0));
      const split = splitByValidity(chunk, (path) => !printed.has(path));
      valid.push(...split.valid);
      invalid.push(...split.invalid);
    }
    return { valid, invalid };
  }
}

/** `paths` split by `isValid`, each side in the order given. */
export function splitByValidity(
  paths: readonly StorePath[],
  isValid: (path: StorePath) => boolean,
): Validity {
  const result: Validity = { valid: [], invalid: [] };
  for (const path of paths) (isValid(path) ? result.valid : result.invalid).push(path);
  return result;
}
