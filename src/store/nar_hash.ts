/**
 * NAR hashes in the forms Nix prints them, converted to the one Attic's
 * upload API is sent: `sha256:<64 hex digits>`. Nix 2.8 prints
 * `sha256:<52 Nix base-32 characters>` or SRI (`sha256-<base64>`) depending on
 * the command; newer Nix prints SRI; Attic refuses SRI.
 *
 * @module
 */

/** Nix's base-32 alphabet (no e, o, u, t). */
const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";

/** Bytes of a SHA-256 digest. */
const SHA256_BYTES = 32;

/**
 * Decodes Nix's base-32 (the least significant 5 bits come last, as
 * `libutil/hash.cc` writes them) into `size` bytes; null when `text` is not
 * such a string.
 */
export function fromNixBase32(text: string, size: number): Uint8Array | null {
  if (text.length !== Math.ceil((size * 8) / 5)) return null;
  const bytes = new Uint8Array(size);
  for (let n = 0; n < text.length; n++) {
    const digit = NIX32.indexOf(text[text.length - 1 - n]!);
    if (digit < 0) return null;
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    bytes[i]! |= (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (i + 1 < size) bytes[i + 1]! |= carry;
    else if (carry !== 0) return null; // bits beyond the digest: not a hash Nix wrote
  }
  return bytes;
}

/**
 * `sha256:<hex>` for a SHA-256 NAR hash in any form Nix prints (hex, Nix
 * base-32 or SRI base64, with `sha256:` or `sha256-`); null for anything else.
 */
export function narHashHex(text: string): string | null {
  let bytes: Uint8Array | null = null;
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(text);
  const plain = /^sha256:([0-9a-z]+)$/.exec(text);
  if (sri) {
    bytes = Uint8Array.from(atob(sri[1]!), (c) => c.charCodeAt(0));
  } else if (plain && /^[0-9a-f]{64}$/.test(plain[1]!)) {
    return text;
  } else if (plain) {
    bytes = fromNixBase32(plain[1]!, SHA256_BYTES);
  }
  if (bytes === null || bytes.length !== SHA256_BYTES) return null;
  return `sha256:${toHex(bytes)}`;
}

/** Lower-case hexadecimal of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
