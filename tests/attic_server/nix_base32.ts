/**
 * Nix's base-32 (the alphabet without e, o, u, t, written least significant
 * digit last), as narinfo files and `nix path-info` print hashes. Hand-written:
 * it is Nix's own encoding, and no maintained npm package implements it.
 *
 * @module
 */

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

/** `bytes` in Nix's base-32 (52 characters for a SHA-256). */
export function toNixBase32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let out = "";
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0);
    out += ALPHABET[c & 0x1f];
  }
  return out;
}

/** Lower-case hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
