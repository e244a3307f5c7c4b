/**
 * Nix's own database, read directly (read-only, `node:sqlite`): which paths
 * are valid, and the path infos of a closure, without starting a `nix-store`
 * or `nix` process per batch. A process costs ~30 ms of CPU, most of it
 * start-up; on a build that computes, two per batch were the largest part of
 * what pushing took from the build. The queries read what `nix-store
 * --check-validity` and `nix path-info` read (the `ValidPaths` and `Refs`
 * tables of schema 10, Nix 2.0 and later).
 *
 * Where the database cannot be read (another store URL, a multi-user store
 * whose files we may not open, another schema), {@linkcode nixDatabase}
 * gives null, or a query throws, and callers fall back to the processes.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { narHashHex } from "./nar_hash.ts";
import type { PathInfo } from "./path_info.ts";
import type { StorePath } from "./store_path.ts";

/** Where a valid path came from. */
export interface PathOrigin {
  /** Built on this machine (Nix's `ultimate`), not substituted or copied. */
  readonly built: boolean;
  /** The names of the keys that signed it (`cache.nixos.org-1`, an Attic cache's name, …). */
  readonly signers: readonly string[];
}

/** The key names of `keyname:base64` signatures. */
export function signerNames(signatures: readonly string[]): string[] {
  return [
    ...new Set(
      signatures.filter((s) => s.includes(":")).map((s) => s.slice(0, s.indexOf(":"))),
    ),
  ];
}

/** Paths per query (well under SQLite's limit on bound parameters). */
const CHUNK = 500;

/** A path asked about is not valid (as `nix path-info` fails for one). */
export class InvalidPathError extends Error {
  /** @param path the path that is not valid */
  constructor(path: StorePath) {
    super(`path '${path}' is not valid`);
    this.name = "InvalidPathError";
  }
}

/** Where the database of the store `storeDir` is, or null when this process should not read it. */
export function nixDatabaseFile(
  storeDir: string,
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  if (storeDir !== (env.NIX_STORE_DIR ?? "/nix/store")) return null;
  // A store URL (`ssh-ng://…`, `local?root=…`) is not this machine's database.
  const remote = env.NIX_REMOTE ?? "";
  if (!["", "local", "daemon", "auto"].includes(remote)) return null;
  return `${env.NIX_STATE_DIR ?? "/nix/var/nix"}/db/db.sqlite`;
}

/**
 * How often an open connection is checked for use: one without a query since
 * the last check is closed, so it stays open 5 to 10 s after its last query
 * (a build's paths arrive every few seconds at least).
 */
const IDLE_CHECK_MS = 5_000;

/** Prepared statements kept per connection (one per query kind and chunk length). */
const STATEMENTS_KEPT = 64;

/**
 * Read-only queries on Nix's database, on one connection kept open while
 * queries keep coming and closed once {@linkcode IDLE_CHECK_MS} passed without
 * any (a connection and its schema cost more than a query of a batch's
 * paths). One timer per connection, not one set and cleared per query
 * (some 35 µs of the 150 µs a query cost the helper mid-build).
 * Each statement reads what was committed when it ran: no transaction is
 * held open between queries, so Nix's writes and checkpoints never wait.
 */
export class NixDatabase {
  readonly file: string;
  #db: DatabaseSync | null = null;
  readonly #statements = new Map<string, StatementSync>();
  #idleCheck: ReturnType<typeof setInterval> | null = null;
  /** Queries since the idle check last looked. */
  #queries = 0;
  readonly #idleCheckMs: number;

  /**
   * @param file the database, e.g. `/nix/var/nix/db/db.sqlite`
   * @param options.idleCheckMs how often an open connection is checked for use
   */
  constructor(file: string, options: { readonly idleCheckMs?: number } = {}) {
    this.file = file;
    this.#idleCheckMs = options.idleCheckMs ?? IDLE_CHECK_MS;
  }

  /** Whether a connection is open now. */
  get isOpen(): boolean {
    return this.#db !== null;
  }

  /** Closes the connection now (it reopens on the next query). */
  close(): void {
    if (this.#idleCheck !== null) clearInterval(this.#idleCheck);
    this.#idleCheck = null;
    this.#statements.clear();
    const db = this.#db;
    this.#db = null;
    try {
      db?.close();
    } catch { /* closed already */ }
  }

  /** The valid ones among `paths`. Throws when the database cannot be read. */
  validPaths(paths: readonly StorePath[]): Set<StorePath> {
    return this.#with((db) => {
      const valid = new Set<StorePath>();
      for (let i = 0; i < paths.length; i += CHUNK) {
        const chunk = paths.slice(i, i + CHUNK);
        const rows = this.#prepare(
          db,
          `SELECT path FROM ValidPaths WHERE path IN (${placeholders(chunk.length)})`,
        ).all(...chunk) as { path: string }[];
        for (const row of rows) valid.add(row.path);
      }
      return valid;
    });
  }

  /**
   * The infos of `paths` and everything they reference, recursively, as
   * `nix path-info --recursive` gives them — except that paths for which
   * `known` holds are neither given nor followed (a push already holds them
   * and their closures). Throws naming a path that is not valid, or when the
   * database cannot be read.
   */
  closure(
    paths: readonly StorePath[],
    known: (path: StorePath) => boolean = () => false,
  ): PathInfo[] {
    return this.#with((db) => {
      const infos = new Map<StorePath, PathInfo>();
      let frontier = [...new Set(paths)].filter((path) => !known(path));
      let first = true;
      // Level by level: a batch's references were mostly pushed before, so this stops early.
      while (frontier.length > 0) {
        const next = new Set<StorePath>();
        for (let i = 0; i < frontier.length; i += CHUNK) {
          const chunk = frontier.slice(i, i + CHUNK);
          const rows = this.#prepare(
            db,
            `SELECT id, path, hash, deriver, narSize, sigs, ca, ultimate FROM ValidPaths
             WHERE path IN (${placeholders(chunk.length)})`,
          ).all(...chunk) as unknown as InfoRow[];
          if (first && rows.length < chunk.length) {
            const found = new Set(rows.map((row) => row.path));
            throw new InvalidPathError(chunk.find((path) => !found.has(path))!);
          }
          const references = new Map<number, StorePath[]>(rows.map((row) => [row.id, []]));
          const refs = this.#prepare(
            db,
            `SELECT Refs.referrer AS referrer, ValidPaths.path AS path FROM Refs
             JOIN ValidPaths ON ValidPaths.id = Refs.reference
             WHERE Refs.referrer IN (${placeholders(rows.length)})`,
          ).all(...rows.map((row) => row.id)) as unknown as { referrer: number; path: string }[];
          for (const ref of refs) {
            references.get(ref.referrer)?.push(ref.path);
            if (!infos.has(ref.path) && !known(ref.path)) next.add(ref.path);
          }
          for (const row of rows) infos.set(row.path, info(row, references.get(row.id)!));
        }
        first = false;
        frontier = [...next].filter((path) => !infos.has(path));
      }
      return [...infos.values()];
    });
  }

  /**
   * Where the valid ones among `paths` came from: built here (`ultimate`) or
   * substituted, and by whose keys they are signed. Paths that are not valid
   * are left out.
   */
  origins(paths: readonly StorePath[]): Map<StorePath, PathOrigin> {
    return this.#with((db) => {
      const origins = new Map<StorePath, PathOrigin>();
      for (let i = 0; i < paths.length; i += CHUNK) {
        const chunk = paths.slice(i, i + CHUNK);
        const rows = this.#prepare(
          db,
          `SELECT path, ultimate, sigs FROM ValidPaths WHERE path IN (${
            placeholders(chunk.length)
          })`,
        ).all(...chunk) as { path: string; ultimate: number | null; sigs: string | null }[];
        for (const row of rows) {
          origins.set(row.path, {
            built: row.ultimate === 1,
            signers: signerNames(row.sigs ? row.sigs.split(" ") : []),
          });
        }
      }
      return origins;
    });
  }

  /** The derivers of the valid ones among `paths` (null: none recorded). */
  derivers(paths: readonly StorePath[]): Map<StorePath, StorePath | null> {
    return this.#with((db) => {
      const derivers = new Map<StorePath, StorePath | null>();
      for (let i = 0; i < paths.length; i += CHUNK) {
        const chunk = paths.slice(i, i + CHUNK);
        const rows = this.#prepare(
          db,
          `SELECT path, deriver FROM ValidPaths WHERE path IN (${placeholders(chunk.length)})`,
        ).all(...chunk) as { path: string; deriver: string | null }[];
        for (const row of rows) derivers.set(row.path, row.deriver || null);
      }
      return derivers;
    });
  }

  /**
   * Runs `query` on the open connection (opened read-only if there is none);
   * a query that fails closes it, so the next one starts afresh.
   */
  #with<T>(query: (db: DatabaseSync) => T): T {
    try {
      const db = this.#db ??= this.#open();
      this.#queries++;
      return query(db);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** A connection, and the check that closes it once unused. */
  #open(): DatabaseSync {
    const db = open(this.file);
    this.#queries = 0;
    const check = setInterval(() => {
      if (this.#queries === 0) this.close();
      this.#queries = 0;
    }, this.#idleCheckMs);
    // An idle connection never keeps the helper alive.
    if (typeof check === "number") Deno.unrefTimer(check);
    else check.unref();
    this.#idleCheck = check;
    return db;
  }

  /** `sql` prepared on `db`, once per connection. */
  #prepare(db: DatabaseSync, sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= STATEMENTS_KEPT) this.#statements.clear();
      statement = db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** A read-only connection to `file`. */
function open(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    // Nix writes in transactions; wait for one rather than fail while it commits.
    db.exec("PRAGMA busy_timeout = 10000");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** One row of `ValidPaths`. */
interface InfoRow {
  readonly id: number;
  readonly path: string;
  readonly hash: string;
  readonly deriver: string | null;
  readonly narSize: number | null;
  readonly sigs: string | null;
  readonly ca: string | null;
  readonly ultimate: number | null;
}

/** A row and its references as a {@linkcode PathInfo}. */
function info(row: InfoRow, references: StorePath[]): PathInfo {
  const narHash = narHashHex(row.hash);
  if (narHash === null) throw new Error(`${row.path} has an unknown hash form`);
  return {
    path: row.path,
    narHash,
    narSize: row.narSize ?? 0,
    references: [...new Set(references)].sort(),
    deriver: row.deriver,
    signatures: row.sigs ? row.sigs.split(" ").filter((s) => s.length > 0) : [],
    ca: row.ca,
    ultimate: row.ultimate === 1,
  };
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(",");
}
