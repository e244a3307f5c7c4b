/**
 * What the store knows about a path (NAR hash and size, references, deriver,
 * signatures, content address), read in bulk with `nix path-info --json
 * --recursive`: the closure of a batch in one process. Both shapes of the
 * JSON are read: Nix 2.8–2.18's list and newer Nix's object keyed by path,
 * with references and deriver as full paths or base names.
 *
 * @module
 */

import { z } from "zod";
import { CommandError, stderrTail } from "../errors.ts";
import type { CommandRunner } from "../system/system.ts";
import { narHashHex } from "./nar_hash.ts";
import { type StorePath, storePath, storePathName } from "./store_path.ts";

/** One valid store path's metadata, in the forms an upload needs. */
export interface PathInfo {
  readonly path: StorePath;
  /** `sha256:<hex>`. */
  readonly narHash: string;
  readonly narSize: number;
  /** Full store paths, sorted (as Nix signs them); may include the path itself. */
  readonly references: StorePath[];
  /** The deriver's full path, or null. */
  readonly deriver: StorePath | null;
  /** `keyname:base64` signatures. */
  readonly signatures: string[];
  /** The content address as Nix renders it, or null. */
  readonly ca: string | null;
  /** Built on this machine (Nix's `ultimate`), not substituted or copied from elsewhere. */
  readonly ultimate: boolean;
}

/** Reads path infos. */
export interface PathInfoReader {
  /**
   * The infos of `paths` and of everything they reference, recursively. Paths
   * for which `known` holds may be left out, with what only they reference
   * (a reader that cannot prune gives everything; callers filter).
   */
  closure(
    paths: readonly StorePath[],
    signal?: AbortSignal,
    known?: (path: StorePath) => boolean,
  ): Promise<PathInfo[]>;
}

const RawInfo = z.object({
  path: z.string().optional(),
  narHash: z.string(),
  narSize: z.number().int().nonnegative(),
  references: z.array(z.string()),
  deriver: z.string().nullable().optional(),
  signatures: z.array(z.string()).optional(),
  ca: z.string().nullable().optional(),
  ultimate: z.boolean().optional(),
});
const RawInfos = z.union([
  z.array(RawInfo),
  z.record(z.string(), RawInfo.nullable()),
]);

/** Arguments per `nix path-info` call, well under the kernel's argv limit. */
const CHUNK = 2_000;

/** {@linkcode PathInfoReader} on `nix path-info --json --recursive`. */
export class NixPathInfoReader implements PathInfoReader {
  readonly #runner: CommandRunner;
  readonly #storeDir: string;

  /** @param runner how to start `nix`; @param storeDir the store the paths are in */
  constructor(runner: CommandRunner, storeDir = "/nix/store") {
    this.#runner = runner;
    this.#storeDir = storeDir;
  }

  /** One `nix path-info` call per 2,000 paths; each path once in the answer. */
  closure(paths: readonly StorePath[], signal?: AbortSignal): Promise<PathInfo[]> {
    return this.#pathInfo(paths, ["--recursive"], signal);
  }

  /** The infos of `paths` themselves (not their closure); fails for a path that is not valid. */
  infos(paths: readonly StorePath[], signal?: AbortSignal): Promise<PathInfo[]> {
    return this.#pathInfo(paths, [], signal);
  }

  async #pathInfo(
    paths: readonly StorePath[],
    flags: readonly string[],
    signal?: AbortSignal,
  ): Promise<PathInfo[]> {
    const infos = new Map<StorePath, PathInfo>();
    for (let i = 0; i < paths.length; i += CHUNK) {
      const result = await this.#runner.run("nix", {
        args: [
          "--extra-experimental-features",
          "nix-command",
          "path-info",
          "--json",
          ...flags,
          ...paths.slice(i, i + CHUNK),
        ],
        ...(signal ? { signal } : {}),
      });
      if (result.code !== 0) {
        throw new CommandError(
          `nix path-info failed (exit ${result.code}): ${stderrTail(result.stderr)}`,
          result.code,
          result.stderr,
        );
      }
      for (const info of this.parse(result.stdout)) infos.set(info.path, info);
    }
    return [...infos.values()];
  }

  /** Reads `nix path-info --json` output of any supported Nix version. */
  parse(json: string): PathInfo[] {
    let raw: z.infer<typeof RawInfos>;
    try {
      raw = RawInfos.parse(JSON.parse(json));
    } catch (error) {
      throw new CommandError(
        `nix path-info printed JSON this version of attic-ci does not understand: ${
          error instanceof Error ? error.message.split("\n")[0] : String(error)
        }`,
        0,
        "",
      );
    }
    const entries: [string | undefined, z.infer<typeof RawInfo> | null][] = Array.isArray(raw)
      ? raw.map((info) => [info.path, info])
      : Object.entries(raw);
    const infos: PathInfo[] = [];
    for (const [key, info] of entries) {
      if (info === null || key === undefined) continue; // an invalid path (newer Nix)
      const narHash = narHashHex(info.narHash);
      if (narHash === null) {
        throw new CommandError(`nix path-info gave ${key} an unknown NAR hash form`, 0, "");
      }
      infos.push({
        path: this.#full(key),
        narHash,
        narSize: info.narSize,
        references: info.references.map((r) => this.#full(r)).sort(),
        deriver: info.deriver ? this.#full(info.deriver) : null,
        signatures: info.signatures ?? [],
        ca: info.ca ?? null,
        ultimate: info.ultimate ?? false,
      });
    }
    return infos;
  }

  /** A full store path from a full path or a base name. */
  #full(pathOrName: string): StorePath {
    return pathOrName.startsWith("/")
      ? pathOrName
      : storePath(this.#storeDir, storePathName(pathOrName));
  }
}
