/**
 * `deno task release:check VERSION [--tag] [--notes FILE]`: whether VERSION
 * is releasable. It must be a bare semver version equal to `version` in
 * deno.json (what `attic-ci --version` prints), and CHANGELOG.md must have
 * its notes:
 *
 * - `--tag` (the tag pipeline's gate): a section `## [VERSION] - YYYY-MM-DD`,
 *   whose text becomes the release notes;
 * - without it (a tree in development, where deno.json already names the
 *   next release): that section, or a non-empty `## [Unreleased]` when
 *   VERSION is newer than every version the CHANGELOG has, which becomes
 *   that section on the day it is tagged. No date is made up before then.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SEMVER } from "./targets.ts";

/** Why a tag cannot be released; the message says what to fix. */
export class ReleaseCheckError extends Error {
  /** @param message what is wrong and how to fix it */
  constructor(message: string) {
    super(message);
    this.name = "ReleaseCheckError";
  }
}

/**
 * The CHANGELOG section of `version` (`## [1.2.3] - 2026-11-23`), without its
 * heading, trimmed; null when there is none.
 */
export function changelogSection(changelog: string, version: string): string | null {
  const lines = changelog.split("\n");
  const heading = new RegExp(`^## \\[${version.replaceAll(".", "\\.")}\\]( |$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) return null;
  let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  if (end < 0) end = lines.length;
  // Link references at the end of the file are not part of the section.
  const body = lines.slice(start + 1, end).filter((line) => !/^\[[^\]]+\]: /.test(line));
  return body.join("\n").trim();
}

/** Options of {@linkcode checkRelease}. */
export interface CheckReleaseOptions {
  /**
   * The version is being tagged: its own dated section is required, and an
   * `## [Unreleased]` section does not stand in for it. @default false
   */
  readonly tagged?: boolean;
}

/** The versions of the CHANGELOG's sections (`## [1.2.0] - …`), in order. */
export function changelogVersions(changelog: string): string[] {
  return [...changelog.matchAll(/^## \[([^\]]+)\]/gm)].map((m) => m[1]!).filter((v) =>
    SEMVER.test(v)
  );
}

/** Negative, zero or positive as semver version `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split(/-(.*)/s) as [string, string | undefined];
    return { core: core.split(".").map(Number), pre: pre?.split(".") ?? null };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === null || y.pre === null) return (x.pre === null ? 1 : 0) - (y.pre === null ? 1 : 0);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const [p, q] = [x.pre[i], y.pre[i]];
    if (p === undefined || q === undefined) return p === undefined ? -1 : 1;
    const numeric = /^\d+$/.test(p) && /^\d+$/.test(q);
    const d = numeric ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Checks a version against deno.json's version and the CHANGELOG; returns
 * the release notes (see the module documentation). Throws
 * {@linkcode ReleaseCheckError}.
 */
export function checkRelease(
  tag: string,
  denoVersion: string,
  changelog: string,
  options: CheckReleaseOptions = {},
): string {
  if (!SEMVER.test(tag)) {
    throw new ReleaseCheckError(
      `tag ${JSON.stringify(tag)} is not a bare semver version such as 1.2.3 or 1.3.0-rc.1 ` +
        "(the CI/CD Catalog accepts no other; a v prefix is not allowed)",
    );
  }
  if (tag !== denoVersion) {
    throw new ReleaseCheckError(
      `tag ${tag} does not match version ${denoVersion} in deno.json: set "version": "${tag}" ` +
        "in deno.json, commit, and tag that commit",
    );
  }
  const notes = changelogSection(changelog, tag);
  if (notes !== null && options.tagged) {
    const dated = new RegExp(
      `^## \\[${tag.replaceAll(".", "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`,
      "m",
    );
    if (!dated.test(changelog)) {
      throw new ReleaseCheckError(
        `CHANGELOG.md's section for ${tag} has no date: its heading must be ` +
          `"## [${tag}] - YYYY-MM-DD", the day of the release`,
      );
    }
  }
  if (notes === null && !options.tagged) {
    const next = nextRelease(tag, changelog);
    if (next !== null) return next;
  }
  if (notes === null) {
    throw new ReleaseCheckError(
      `CHANGELOG.md has no section for ${tag}: rename "## [Unreleased]" to "## [${tag}] - YYYY-MM-DD" ` +
        "(and start a new Unreleased section), commit, and tag that commit",
    );
  }
  if (notes === "") throw new ReleaseCheckError(`CHANGELOG.md's section for ${tag} is empty`);
  return notes;
}

/**
 * The notes of `version` as the next release: the `## [Unreleased]` section,
 * when it is not empty and `version` is newer than every version the
 * CHANGELOG has; null otherwise.
 */
function nextRelease(version: string, changelog: string): string | null {
  const unreleased = changelogSection(changelog, "Unreleased");
  if (unreleased === null || unreleased === "") return null;
  const released = changelogVersions(changelog);
  return released.every((v) => compareVersions(version, v) > 0) ? unreleased : null;
}

/** Whether `version` has no section of its own, so its notes are the Unreleased section. */
export function isNextRelease(version: string, changelog: string): boolean {
  return changelogSection(changelog, version) === null && nextRelease(version, changelog) !== null;
}

/** Runs the task; returns the exit code. */
export async function main(args: string[], root: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { notes: { type: "string" }, tag: { type: "boolean" } },
  });
  const tag = positionals[0];
  if (tag === undefined) {
    console.error("release:check: pass the version, e.g. deno task release:check 1.2.3 --tag");
    return 2;
  }
  const { version } = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  try {
    const changelog = await Deno.readTextFile(`${root}/CHANGELOG.md`);
    const notes = checkRelease(tag, String(version), changelog, { tagged: values.tag === true });
    if (values.notes) await Deno.writeTextFile(values.notes, notes + "\n");
    console.log(
      isNextRelease(tag, changelog) && values.tag !== true
        ? `release:check: ${tag} is the next release: deno.json names it and CHANGELOG.md's ` +
          `"## [Unreleased]" section holds its notes; on the day you tag it, rename that ` +
          `section to "## [${tag}] - YYYY-MM-DD" (release:check --tag, the tag pipeline's, ` +
          "requires it)"
        : `release:check: ${tag} is ready: deno.json and CHANGELOG.md agree`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ReleaseCheckError)) throw error;
    console.error(`release:check: ${error.message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args, new URL("..", import.meta.url).pathname);
}
