/**
 * `deno task release:check TAG [--notes FILE]`: a tag pipeline's gate. The
 * tag must be a bare semver version equal to `version` in deno.json (what
 * `attic-ci --version` prints), and CHANGELOG.md must have a section for it,
 * whose text becomes the release notes.
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

/**
 * Checks a tag against deno.json's version and the CHANGELOG; returns the
 * release notes. Throws {@linkcode ReleaseCheckError}.
 */
export function checkRelease(tag: string, denoVersion: string, changelog: string): string {
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
  if (notes === null) {
    throw new ReleaseCheckError(
      `CHANGELOG.md has no section for ${tag}: rename "## [Unreleased]" to "## [${tag}] - YYYY-MM-DD" ` +
        "(and start a new Unreleased section), commit, and tag that commit",
    );
  }
  if (notes === "") throw new ReleaseCheckError(`CHANGELOG.md's section for ${tag} is empty`);
  return notes;
}

/** Runs the task; returns the exit code. */
export async function main(args: string[], root: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { notes: { type: "string" } },
  });
  const tag = positionals[0];
  if (tag === undefined) {
    console.error("release:check: pass the tag, e.g. deno task release:check 1.2.3");
    return 2;
  }
  const { version } = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  try {
    const notes = checkRelease(
      tag,
      String(version),
      await Deno.readTextFile(`${root}/CHANGELOG.md`),
    );
    if (values.notes) await Deno.writeTextFile(values.notes, notes + "\n");
    console.log(`release:check: ${tag} is ready: deno.json and CHANGELOG.md agree`);
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
