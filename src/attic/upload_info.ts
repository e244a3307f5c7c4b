/**
 * The upload info of one store path, exactly as Attic's upload-path expects it
 * (the ten snake_case keys, references and deriver as base names), and where it
 * travels: in the `X-Attic-Nar-Info` header when its JSON is shorter than
 * 4 KiB, otherwise as a preamble at the start of the body.
 *
 * @module
 */

import type { PathInfo } from "../store/path_info.ts";
import { storePathName } from "../store/store_path.ts";

/** The JSON sent with an upload (key order as the real client writes it). */
export interface UploadInfo {
  readonly cache: string;
  readonly store_path_hash: string;
  readonly store_path: string;
  readonly references: string[];
  readonly system: null;
  readonly deriver: string | null;
  readonly sigs: string[];
  readonly ca: string | null;
  readonly nar_hash: string;
  readonly nar_size: number;
}

/** Info of this many bytes or more goes in the body's preamble, not the header. */
export const HEADER_LIMIT = 4096;

/** The 32 hash characters of a store path. */
export function storePathHash(path: string): string {
  return storePathName(path).slice(0, 32);
}

/** The upload info of `info` for `cache`. */
export function uploadInfo(cache: string, info: PathInfo): UploadInfo {
  return {
    cache,
    store_path_hash: storePathHash(info.path),
    store_path: info.path,
    // Sorted, as Nix verifies the server's signature over them (PathInfo keeps them sorted).
    references: info.references.map(storePathName),
    system: null,
    deriver: info.deriver === null ? null : storePathName(info.deriver),
    sigs: info.signatures,
    ca: info.ca,
    nar_hash: info.narHash,
    nar_size: info.narSize,
  };
}

/** Where the info goes: headers to send, and a preamble to put before the NAR (or null). */
export function placeUploadInfo(
  info: UploadInfo,
): { headers: Record<string, string>; preamble: Uint8Array | null } {
  const json = JSON.stringify(info);
  const bytes = new TextEncoder().encode(json);
  if (bytes.length < HEADER_LIMIT) {
    // Header values must be Latin-1 bytes: a non-ASCII name would not survive, so such
    // info goes in the preamble like a long one.
    if (/^[\x20-\x7e]*$/.test(json)) {
      return { headers: { "x-attic-nar-info": json }, preamble: null };
    }
  }
  return {
    headers: { "x-attic-nar-info-preamble-size": String(bytes.length) },
    preamble: bytes,
  };
}
