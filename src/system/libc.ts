/**
 * libc's functions through Deno's FFI, for the few things the runtime's own
 * APIs do at a cost the helper feels per path or per store entry (the
 * directory watch, the store listing). Each caller names the functions it
 * needs and falls back to the runtime's API where they cannot be had.
 *
 * @module
 */

/** The names libc goes by (glibc; musl's loader answers to the first too). */
const LIBC_NAMES = ["libc.so.6", "libc.so"];

/**
 * libc with `symbols` bound, or null where it cannot be had: not Linux, no
 * FFI permission, a libc without one of the functions. The caller closes it.
 */
export function openLibc<const S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S> | null {
  if (Deno.build.os !== "linux") return null;
  for (const name of LIBC_NAMES) {
    try {
      return Deno.dlopen(name, symbols);
    } catch { /* the next name */ }
  }
  return null;
}

/** A NUL-terminated copy of `text`, for a `const char *` parameter. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
