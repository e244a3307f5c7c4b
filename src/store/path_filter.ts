/**
 * Which store paths are worth pushing: `.drv` files are skipped (caches serve
 * outputs), and users may exclude more with `--exclude REGEX`.
 *
 * @module
 */

import { isDerivation, type StorePath } from "./store_path.ts";

/** Why a path is not pushed, or null when it is. */
export type ExclusionReason = "derivation" | "excluded" | null;

/** Options of {@linkcode PathFilter}. */
export interface PathFilterOptions {
  /** Regular expressions matched against the full store path. @default [] */
  readonly exclude?: readonly RegExp[];
}

/** Decides which store paths are pushed. */
export class PathFilter {
  readonly #exclude: readonly RegExp[];

  /** @param options exclusions */
  constructor(options: PathFilterOptions = {}) {
    this.#exclude = options.exclude ?? [];
  }

  /** Why `path` is skipped, or null when it should be pushed. */
  reason(path: StorePath): ExclusionReason {
    if (isDerivation(path)) return "derivation";
    if (this.#exclude.some((re) => re.test(path))) return "excluded";
    return null;
  }
}
