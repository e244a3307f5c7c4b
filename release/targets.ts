/**
 * The platforms a release ships, named as Nix names systems (what the
 * templates' helper step computes from `uname`), with `deno compile`'s target
 * triple for each. One place: the compile task, the upload, the release links
 * and the tests all read this table.
 *
 * @module
 */

/** A platform the helper is compiled for. */
export interface ReleaseTarget {
  /** Nix system name, e.g. `x86_64-linux`. */
  readonly system: string;
  /** `deno compile --target` triple. */
  readonly triple: string;
}

/** Every platform of a release. */
export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  { system: "x86_64-linux", triple: "x86_64-unknown-linux-gnu" },
  { system: "aarch64-linux", triple: "aarch64-unknown-linux-gnu" },
  { system: "x86_64-darwin", triple: "x86_64-apple-darwin" },
  { system: "aarch64-darwin", triple: "aarch64-apple-darwin" },
];

/** The release file of a platform, e.g. `attic-ci-x86_64-linux`. */
export function releaseFile(system: string): string {
  return `attic-ci-${system}`;
}

/**
 * The checksums file every release carries, for downloads by hand (the
 * templates' step verifies signatures instead).
 */
export const CHECKSUMS_FILE = "SHA256SUMS";

/**
 * The File-type CI/CD variable (protected, masked) that holds the release's
 * Nix secret key in the release pipeline.
 */
export const SIGNING_KEY_VARIABLE = "ATTIC_CI_RELEASE_SIGNING_KEY";

/** The generic package the files are uploaded to. */
export const PACKAGE_NAME = "attic-ci";

/**
 * A semver version as the CI/CD Catalog accepts it: bare `1.2.3`, prereleases
 * allowed (`1.3.0-rc.1`), no `v` prefix, no leading zeros.
 */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * The Nix store path name a release signs the helper of `system` under, e.g.
 * `attic-ci-1.2.3-x86_64-linux`. The helper step accepts exactly this name
 * for the version and system it wants, so a validly signed helper of another
 * version or platform cannot stand in for it.
 */
export function helperStoreName(version: string, system: string): string {
  return `attic-ci-${version}-${system}`;
}

/** What vouches for a helper: the files next to `attic-ci-<system>` that the step reads. */
export type VouchingFile = "storepath" | "narinfo" | "nar";

/**
 * The release file that vouches for the helper of `system`, e.g.
 * `attic-ci-x86_64-linux.narinfo`: the store path it is signed under, its
 * signed narinfo, and the NAR. (The registry allows no slashes in file names,
 * so the binary cache is published flat; the step lays it out again.)
 */
export function vouchingFile(system: string, kind: VouchingFile): string {
  return `${releaseFile(system)}.${kind}`;
}

/** The vouching files, in the order an upload sends them: the store path last. */
export const VOUCHING_FILES: readonly VouchingFile[] = ["nar", "narinfo", "storepath"];
