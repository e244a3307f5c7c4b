/**
 * The V8 flags every start of the helper passes (`deno run --v8-flags=…`,
 * baked into the binary by `deno compile --v8-flags=…`): they cannot be set
 * once the program runs.
 *
 * `--max-semi-space-size=1` (MiB) keeps V8's young generation small. Streaming
 * a NAR allocates a fresh 64 KiB chunk per read; with the default semi-space
 * (growing to 16 MiB and more) a 1 GiB upload raised the helper's peak RSS by
 * ~80 MiB of not-yet-collected chunks, with this flag by ~15 MiB (measured
 * with `attic-ci push --attic-client api`), and the CPU time went down.
 *
 * @module
 */

/** The flags, as `deno` and `deno compile` take them after `--v8-flags=`. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=1"];

/** The one argument for `deno run` / `deno compile`. */
export function v8FlagsArgument(): string {
  return `--v8-flags=${V8_FLAGS.join(",")}`;
}
