/**
 * The names in a directory, read in batches: on Linux with `getdents64`
 * through libc (./libc.ts), else with `Deno.readDir`.
 *
 * Why not `Deno.readDir` everywhere: its async iterator hands JavaScript an
 * object per entry and resolves a promise per entry, some 4 µs of the main
 * thread's CPU each; `/nix/store` is listed when a session starts and again
 * at its end, and a store of 38,000 entries cost ~165 ms of CPU per listing.
 * `getdents64` fills a buffer with as many entries as fit (on a thread of the
 * runtime), and only their names are decoded: ~30 ms for the same listing.
 * `Deno.readDirSync` is as quick but blocks the event loop for the whole
 * listing and materialises every entry at once (51 MiB of heap for 88,000).
 *
 * @module
 */

import { cString, openLibc } from "./libc.ts";

/** Options of {@linkcode dirEntryNames}. */
export interface DirListingOptions {
  /** List with `Deno.readDir` even where `getdents64` can be had (the tests compare). @default false */
  readonly readDir?: boolean;
  /** The buffer each `getdents64` fills. @default 256 KiB (some 3,000 store entries) */
  readonly bufferBytes?: number;
}

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32", nonblocking: true },
  getdents64: { parameters: ["i32", "buffer", "u64"], result: "i64", nonblocking: true },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const O_RDONLY = 0;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
/** struct linux_dirent64 before its name: d_ino, d_off, d_reclen, d_type. */
const DIRENT_NAME_AT = 19;
const DIRENT_RECLEN_AT = 16;
/** Names per batch of the `Deno.readDir` listing. */
const READ_DIR_BATCH = 4096;

/**
 * The names of `dir`'s entries (without `.` and `..`), in the directory's
 * order, a batch at a time. Throws what `Deno.readDir` throws when `dir`
 * cannot be listed (it does not exist, it is not a directory, not readable).
 */
export async function* dirEntryNames(
  dir: string,
  options: DirListingOptions = {},
): AsyncGenerator<string[]> {
  const libc = options.readDir ? null : openLibc(SYMBOLS);
  if (libc === null) {
    yield* readDirNames(dir);
    return;
  }
  try {
    const fd = await libc.symbols.open(cString(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
      // Deno.readDir fails the same way and says why (NotFound, PermissionDenied, …).
      yield* readDirNames(dir);
      return;
    }
    try {
      const size = options.bufferBytes ?? 256 * 1024;
      const buffer = new Uint8Array(size);
      for (;;) {
        const read = Number(await libc.symbols.getdents64(fd, buffer, BigInt(size)));
        if (read < 0) throw new Error(`cannot list ${dir}: getdents64 failed`);
        if (read === 0) return;
        yield parseDirents(buffer.subarray(0, read));
      }
    } finally {
      libc.symbols.close(fd);
    }
  } finally {
    libc.close();
  }
}

/** The names in `bytes`, whole `struct linux_dirent64`s as `getdents64` wrote them. */
export function parseDirents(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const names: string[] = [];
  for (let at = 0; at + DIRENT_NAME_AT < bytes.length;) {
    const length = view.getUint16(at + DIRENT_RECLEN_AT, true);
    if (length === 0) break; // never written by the kernel; stops a malformed buffer's loop
    const end = bytes.indexOf(0, at + DIRENT_NAME_AT);
    const name = decoder.decode(
      bytes.subarray(at + DIRENT_NAME_AT, end === -1 || end > at + length ? at + length : end),
    );
    if (name !== "." && name !== "..") names.push(name);
    at += length;
  }
  return names;
}

async function* readDirNames(dir: string): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    batch.push(entry.name);
    if (batch.length === READ_DIR_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
