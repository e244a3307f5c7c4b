/**
 * After a run: which outputs of one graph instance exist in the store, which
 * of them are valid (finished), and which of those reached the cache.
 *
 * @module
 */

import { cachedHashes } from "./cache_target.ts";
import { output } from "./process.ts";

/** What one graph instance left in the store and in the cache. */
export interface Inspection {
  /** Output paths of the instance found in the store (valid or not). */
  readonly outputs: number;
  /** Valid (finished) outputs. */
  readonly valid: readonly string[];
  /** Valid outputs present in the cache. */
  readonly cached: number;
}

/** Options for {@linkcode inspectRun}. */
export interface InspectOptions {
  /** @default "/nix/store" */
  readonly storeDir?: string;
  /** Path of `nix-store`. @default "nix-store" */
  readonly nixStore?: string;
}

/**
 * List the instance's outputs (names containing `marker`, not `.drv`, not
 * `.lock`), check their validity in one `nix-store` call, and compare them
 * with the cache directory's narinfo files.
 */
export async function inspectRun(
  marker: string,
  cacheDir: string,
  options: InspectOptions = {},
): Promise<Inspection> {
  const storeDir = (options.storeDir ?? "/nix/store").replace(/\/+$/, "");
  const outputs: string[] = [];
  for await (const entry of Deno.readDir(storeDir)) {
    const name = entry.name;
    if (!name.includes(marker) || name.endsWith(".drv") || name.endsWith(".lock")) continue;
    outputs.push(`${storeDir}/${name}`);
  }
  const invalid = new Set<string>();
  if (outputs.length > 0) {
    const text = await output([
      options.nixStore ?? "nix-store",
      "--check-validity",
      "--print-invalid",
      ...outputs,
    ]);
    for (const line of text.split("\n")) if (line.trim()) invalid.add(line.trim());
  }
  const valid = outputs.filter((p) => !invalid.has(p));
  const hashes = await cachedHashes(cacheDir);
  const cached = valid.filter((p) => hashes.has(hashPart(p))).length;
  return { outputs: outputs.length, valid, cached };
}

/** The 32-character hash part of a store path. */
export function hashPart(storePath: string): string {
  const name = storePath.slice(storePath.lastIndexOf("/") + 1);
  return name.slice(0, 32);
}
