/**
 * Small NARs written in-process, byte for byte as `nix-store --dump` writes
 * them, so the many small paths of a build cost no process each (a
 * `nix-store --dump` costs ~25 ms of CPU, most of it start-up). The result is
 * checked against the NAR hash the store recorded before it is used: a path
 * that differs (changed on disk, or a file-system feature this writer does
 * not know) is dumped by Nix instead, never sent wrong.
 *
 * The files are read with synchronous calls: a small path's few reads cost
 * less on the helper's thread than a hop to the runtime's blocking pool and
 * back for each, and the NAR is never more than {@linkcode IN_PROCESS_NAR_LIMIT}.
 *
 * The format (Eelco Dolstra's thesis, fig. 5.2; Nix's `libutil/archive.cc`):
 * strings as a little-endian 64-bit length, the bytes, zero padding to 8; a
 * node is `( type regular [executable ""] contents <bytes> )`,
 * `( type symlink target <target> )` or `( type directory entry ( name <n>
 * node <node> ) … )` with entries in byte order of their names.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** NARs up to this size are written in-process (larger ones stream from `nix-store --dump`). */
export const IN_PROCESS_NAR_LIMIT = 1024 * 1024;

/** Appends NAR tokens to growing chunks. */
class NarBuffer {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  readonly #encoder = new TextEncoder();

  bytes(data: Uint8Array): void {
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(data.length), true);
    this.#push(length);
    this.#push(data);
    const padding = (8 - (data.length % 8)) % 8;
    if (padding > 0) this.#push(new Uint8Array(padding));
  }

  string(text: string): void {
    this.bytes(this.#encoder.encode(text));
  }

  #push(data: Uint8Array): void {
    this.chunks.push(data);
    this.size += data.length;
  }
}

/** Byte order of names, as Nix sorts directory entries (not locale order). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Writes the node at `path` into `nar`; false once the NAR would pass `limit`. */
function writeNode(path: string, nar: NarBuffer, limit: number): boolean {
  if (nar.size > limit) return false;
  const info = Deno.lstatSync(path);
  nar.string("(");
  nar.string("type");
  if (info.isSymlink) {
    nar.string("symlink");
    nar.string("target");
    nar.string(Deno.readLinkSync(path));
  } else if (info.isFile) {
    nar.string("regular");
    if (((info.mode ?? 0) & 0o100) !== 0) {
      nar.string("executable");
      nar.string("");
    }
    nar.string("contents");
    if (nar.size + info.size > limit) return false;
    nar.bytes(Deno.readFileSync(path));
  } else if (info.isDirectory) {
    nar.string("directory");
    const encoder = new TextEncoder();
    const names: Uint8Array[] = [];
    for (const entry of Deno.readDirSync(path)) names.push(encoder.encode(entry.name));
    names.sort(compareBytes);
    const decoder = new TextDecoder();
    for (const name of names) {
      nar.string("entry");
      nar.string("(");
      nar.string("name");
      nar.bytes(name);
      nar.string("node");
      if (!writeNode(`${path}/${decoder.decode(name)}`, nar, limit)) return false;
      nar.string(")");
    }
  } else {
    return false; // a device, a socket: not in a store path; leave it to Nix
  }
  nar.string(")");
  return true;
}

/**
 * The NAR of `path` when it is at most `limit` bytes and its SHA-256 is
 * `narHash` (`sha256:<hex>`); null otherwise (too large, different, or
 * unreadable: dump it with Nix).
 */
export function smallNar(
  path: string,
  narHash: string,
  limit = IN_PROCESS_NAR_LIMIT,
): Uint8Array | null {
  const nar = new NarBuffer();
  nar.string("nix-archive-1");
  try {
    if (!writeNode(path, nar, limit)) return null;
  } catch {
    return null;
  }
  const bytes = new Uint8Array(nar.size);
  const hash = createHash("sha256");
  let at = 0;
  for (const chunk of nar.chunks) {
    bytes.set(chunk, at);
    hash.update(chunk);
    at += chunk.length;
  }
  return `sha256:${hash.digest("hex")}` === narHash ? bytes : null;
}
