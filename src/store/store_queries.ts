/**
 * The questions the engine asks the store — which paths are valid, what is a
 * batch's closure — answered from Nix's database where this process can read
 * it, and by `nix-store`/`nix` processes otherwise (or once the database
 * failed: the processes are always right, the database is only faster).
 *
 * @module
 */

import { CommandError } from "../errors.ts";
import type { CommandRunner } from "../system/system.ts";
import {
  InvalidPathError,
  NixDatabase,
  nixDatabaseFile,
  type PathOrigin,
  signerNames,
} from "./nix_database.ts";
import type { StorePath } from "./store_path.ts";
import { NixPathInfoReader, type PathInfoReader } from "./path_info.ts";
import { NixValidityChecker, splitByValidity, type ValidityChecker } from "./validity_checker.ts";

/** Where paths came from, in bulk. */
export interface OriginReader {
  /** The origins of the valid ones among `paths` (paths that are not valid are left out). */
  origins(paths: readonly StorePath[], signal?: AbortSignal): Promise<Map<StorePath, PathOrigin>>;
}

/** The derivations paths were built from, in bulk. */
export interface DeriverReader {
  /** The derivers of the valid ones among `paths` (null: none recorded); others left out. */
  derivers(
    paths: readonly StorePath[],
    signal?: AbortSignal,
  ): Promise<Map<StorePath, StorePath | null>>;
}

/** The questions, with one database. */
export interface StoreQueries {
  readonly checker: ValidityChecker;
  readonly infos: PathInfoReader;
  readonly origins: OriginReader;
  readonly derivers: DeriverReader;
}

/** Options of {@linkcode storeQueries}. */
export interface StoreQueriesOptions {
  readonly storeDir: string;
  /** The environment Nix would run in (`NIX_STORE_DIR`, `NIX_STATE_DIR`, `NIX_REMOTE`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Read the database at all. @default true */
  readonly database?: boolean;
}

/** The store's answers, from its database if it can be read. */
export function storeQueries(runner: CommandRunner, options: StoreQueriesOptions): StoreQueries {
  const file = options.database === false ? null : nixDatabaseFile(options.storeDir, options.env);
  const database = new DatabaseFirst(file === null ? null : new NixDatabase(file));
  const checker = new NixValidityChecker(runner);
  const infos = new NixPathInfoReader(runner, options.storeDir);
  return {
    checker: {
      check: (paths, signal) =>
        database.ask(
          (db) => {
            const valid = db.validPaths(paths);
            return splitByValidity(paths, (path) => valid.has(path));
          },
          () => checker.check(paths, signal),
        ),
    },
    infos: {
      closure: (paths, signal, known) =>
        database.ask((db) => db.closure(paths, known), () => infos.closure(paths, signal)),
    },
    derivers: {
      derivers: (paths, signal) =>
        database.ask((db) => db.derivers(paths), async () => {
          const { valid } = await checker.check(paths, signal);
          const found = new Map<StorePath, StorePath | null>();
          // `nix-store --query --deriver` prints one line per path, "unknown-deriver" for none.
          for (let i = 0; i < valid.length; i += 2_000) {
            const chunk = valid.slice(i, i + 2_000);
            const result = await runner.run("nix-store", {
              args: ["--query", "--deriver", ...chunk],
              ...(signal ? { signal } : {}),
            });
            if (result.code !== 0) {
              throw new CommandError(
                `nix-store --query --deriver failed (exit ${result.code})`,
                result.code,
                result.stderr,
              );
            }
            const lines = result.stdout.split("\n");
            chunk.forEach((path, j) => {
              const line = lines[j]?.trim() ?? "";
              found.set(path, line.startsWith("/") ? line : null);
            });
          }
          return found;
        }),
    },
    origins: {
      origins: (paths, signal) =>
        database.ask((db) => db.origins(paths), async () => {
          // nix path-info fails for a path that is not valid: ask about the valid ones only.
          const { valid } = await checker.check(paths, signal);
          const found = valid.length === 0 ? [] : await infos.infos(valid, signal);
          return new Map(
            found.map((info) => [
              info.path,
              { built: info.ultimate, signers: signerNames(info.signatures) },
            ]),
          );
        }),
    },
  };
}

/** The database while it answers; once it fails, the processes for good. */
class DatabaseFirst {
  #database: NixDatabase | null;

  constructor(database: NixDatabase | null) {
    this.#database = database;
  }

  async ask<T>(query: (db: NixDatabase) => T, fallback: () => Promise<T>): Promise<T> {
    if (this.#database !== null) {
      try {
        return query(this.#database);
      } catch (error) {
        if (error instanceof InvalidPathError) {
          throw new CommandError(`nix path-info failed: ${error.message}`, 1, "");
        }
        this.#database = null;
      }
    }
    return await fallback();
  }
}
