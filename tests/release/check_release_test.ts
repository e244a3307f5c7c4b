/**
 * The tag pipeline's gate: a bare semver tag equal to deno.json's version,
 * with a CHANGELOG section that becomes the release notes.
 */

import {
  changelogSection,
  changelogVersions,
  checkRelease,
  compareVersions,
  isNextRelease,
  main,
} from "../../release/check_release.ts";
import { parse } from "yaml";
import { assertEquals, assertIncludes, assertThrows } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";

const CHANGELOG = `# Changelog

## [Unreleased]

## [1.2.0] - 2026-11-23

### Added

- The thing.

## [1.1.0] - 2026-10-01

- Older.

[1.2.0]: https://gitlab.example.com/attic-ci/attic-ci/-/releases/1.2.0
`;

Deno.test("checkRelease() passes a tag equal to deno.json's version with a CHANGELOG section, and returns the notes", () => {
  assertEquals(checkRelease("1.2.0", "1.2.0", CHANGELOG), "### Added\n\n- The thing.");
});

Deno.test("checkRelease() refuses a tag that differs from deno.json's version, saying what to change", () => {
  const error = assertThrows(
    () => checkRelease("1.2.1", "1.2.0", CHANGELOG),
    "tag 1.2.1 does not match",
  );
  assertIncludes(error.message, 'set "version": "1.2.1" in deno.json');
});

Deno.test("checkRelease() refuses a version without a CHANGELOG section, saying how to add one", () => {
  const error = assertThrows(
    () => checkRelease("1.3.0", "1.3.0", CHANGELOG),
    "no section for 1.3.0",
  );
  assertIncludes(error.message, '"## [1.3.0] - YYYY-MM-DD"');
});

Deno.test("checkRelease() refuses tags the Catalog does not accept: a v prefix, leading zeros, four parts", () => {
  for (const tag of ["v1.2.0", "01.2.0", "1.2.0.1", "1.2", "latest"]) {
    assertThrows(() => checkRelease(tag, tag, CHANGELOG), "is not a bare semver version");
  }
});

Deno.test("checkRelease() accepts a prerelease tag with its own section", () => {
  const changelog = CHANGELOG.replace(
    "## [1.2.0]",
    "## [1.3.0-rc.1] - 2026-11-24\n\n- Soon.\n\n## [1.2.0]",
  );
  assertEquals(checkRelease("1.3.0-rc.1", "1.3.0-rc.1", changelog), "- Soon.");
});

Deno.test("changelogSection() stops at the next section and leaves out link references", () => {
  assertEquals(changelogSection(CHANGELOG, "1.1.0"), "- Older.");
  assertEquals(changelogSection(CHANGELOG, "1.2"), null);
});

Deno.test("release:check writes the notes for a good tag, and exits 1 with one line for a bad one", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ version: "1.2.0" }));
    await Deno.writeTextFile(`${dir}/CHANGELOG.md`, CHANGELOG);
    assertEquals(await main(["1.2.0", "--notes", `${dir}/notes.md`], dir), 0);
    assertEquals(await Deno.readTextFile(`${dir}/notes.md`), "### Added\n\n- The thing.\n");
    assertEquals(await main(["1.2.1"], dir), 1);
    assertEquals(await main([], dir), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("this repository's own CHANGELOG has an Unreleased section and deno.json a semver version", async () => {
  const root = new URL("../..", import.meta.url).pathname;
  const { version } = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  assertEquals(/^\d+\.\d+\.\d+/.test(version), true, version);
  assertIncludes(await Deno.readTextFile(`${root}/CHANGELOG.md`), "## [Unreleased]");
});

const NEXT = CHANGELOG.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Added\n\n- Next.\n");

Deno.test("checkRelease() takes a non-empty Unreleased section as the notes of deno.json's version when it is newer than every release", () => {
  assertEquals(checkRelease("1.3.0", "1.3.0", NEXT), "### Added\n\n- Next.");
  assertEquals(isNextRelease("1.3.0", NEXT), true);
  assertEquals(isNextRelease("1.2.0", NEXT), false);
  // Not newer than a release: no stand-in.
  assertThrows(() => checkRelease("1.1.5", "1.1.5", NEXT), "no section for 1.1.5");
  // An empty Unreleased section stands in for nothing.
  assertThrows(() => checkRelease("1.3.0", "1.3.0", CHANGELOG), "no section for 1.3.0");
});

Deno.test("checkRelease() for a tag (--tag) wants the version's own dated section", () => {
  const error = assertThrows(
    () => checkRelease("1.3.0", "1.3.0", NEXT, { tagged: true }),
    "no section for 1.3.0",
  );
  assertIncludes(error.message, '"## [1.3.0] - YYYY-MM-DD"');
  const undated = NEXT.replace("## [Unreleased]", "## [1.3.0] - Unreleased");
  assertThrows(() => checkRelease("1.3.0", "1.3.0", undated, { tagged: true }), "has no date");
  const dated = NEXT.replace("## [Unreleased]", "## [1.3.0] - 2026-12-01");
  assertEquals(checkRelease("1.3.0", "1.3.0", dated, { tagged: true }), "### Added\n\n- Next.");
});

Deno.test("compareVersions() orders versions as semver does, prereleases before their release", () => {
  const sorted = ["1.10.0", "1.2.0", "1.2.0-rc.10", "1.2.0-rc.2", "0.9.9", "1.2.0-beta"]
    .sort(compareVersions);
  assertEquals(sorted, ["0.9.9", "1.2.0-beta", "1.2.0-rc.2", "1.2.0-rc.10", "1.2.0", "1.10.0"]);
  assertEquals(changelogVersions(CHANGELOG), ["1.2.0", "1.1.0"]);
});

Deno.test("the tag pipeline's release-check job runs release:check --tag: a release needs its dated section", async () => {
  const root = new URL("../..", import.meta.url).pathname;
  const pipeline = parse(await Deno.readTextFile(`${root}/.gitlab-ci.yml`)) as Record<
    string,
    { script?: string[] }
  >;
  const script = pipeline["release-check"]?.script?.join("\n") ?? "";
  assertIncludes(script, 'deno task release:check "$CI_COMMIT_TAG" --tag');
});
