/**
 * True docs: what README.md and the examples tell users matches what the
 * project would release next. Every component pin is deno.json's
 * major.minor; deno.json's version passes `release:check` on this tree (as
 * the next release, its notes in `## [Unreleased]`) and would pass the tag
 * pipeline's `release:check --tag` once that section is renamed; and the
 * README's benchmark figures are the ones docs/benchmarks.json gives, as
 * `bench/write_docs.ts` writes them into README.md and docs/benchmarks.md.
 */

import { parseResults } from "../../bench/load_results.ts";
import { README_SECTION, readmeSection } from "../../bench/readme_section.ts";
import { headline } from "../../bench/results.ts";
import { checkRelease, isNextRelease } from "../../release/check_release.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { ROOT } from "../helpers/nix.ts";

const VERSION = String(JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).version);
const CHANGELOG = await Deno.readTextFile(`${ROOT}/CHANGELOG.md`);
const README = await Deno.readTextFile(`${ROOT}/README.md`);

/** The files users copy pins from: the README and every example pipeline. */
async function pinnedFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = { "README.md": README };
  for await (const entry of Deno.readDir(`${ROOT}/examples`)) {
    const file = `examples/${entry.name}/.gitlab-ci.yml`;
    const text = await Deno.readTextFile(`${ROOT}/${file}`).catch(() => null);
    if (text !== null) files[file] = text;
  }
  return files;
}

Deno.test("every component pin in README.md and the examples is deno.json's major.minor", async () => {
  const [major, minor] = VERSION.split(".");
  const expected = `${major}.${minor}`;
  const files = await pinnedFiles();
  assert(Object.keys(files).length >= 4, Object.keys(files).join(", "));
  for (const [file, text] of Object.entries(files)) {
    // `component: …/attic-ci/<template>@<ref>`, wherever it is; the README's "Upgrading"
    // explains the scheme with made-up versions (`@1.4`), which are not pins.
    const pins = [...text.matchAll(/component:\s*\S+\/attic-ci\/[\w-]+@(\S+)/g)].map((m) => m[1]);
    assert(pins.length > 0, `${file} pins no component`);
    for (const pin of pins) assertEquals(pin, expected, `a pin in ${file}`);
  }
  const advice = /pin a version: `@([^`]+)` follows ([^ ]+) fixes/.exec(README);
  assert(advice !== null, "README no longer says which version to pin");
  assertEquals([advice[1], advice[2]], [expected, `${expected}.z`]);
});

Deno.test("deno.json's version passes release:check on this tree, and release:check --tag once its section is dated", () => {
  assert(/^\d+\.\d+\.\d+(-[\w.-]+)?$/.test(VERSION), VERSION);
  const notes = checkRelease(VERSION, VERSION, CHANGELOG);
  assert(notes.length > 0);
  if (isNextRelease(VERSION, CHANGELOG)) {
    // What a maintainer does on the day of the tag (docs/releasing.md), and nothing else.
    const day = new Date().toISOString().slice(0, 10);
    const renamed = CHANGELOG.replace(
      "## [Unreleased]",
      `## [Unreleased]\n\n## [${VERSION}] - ${day}`,
    );
    assertEquals(checkRelease(VERSION, VERSION, renamed, { tagged: true }), notes);
  } else {
    // Already released under this version: its dated section stands as it is.
    assertEquals(checkRelease(VERSION, VERSION, CHANGELOG, { tagged: true }), notes);
  }
});

Deno.test("the README's benchmark figures are docs/benchmarks.json's, as docs/benchmarks.md's headline", async () => {
  const results = parseResults(
    await Deno.readTextFile(`${ROOT}/docs/benchmarks.json`),
    "docs/benchmarks.json",
  );
  const flat = (text: string) => text.replace(/\s+/g, " ").trim();
  const marked = (text: string, name: string) => {
    const found = new RegExp(`<!-- bench:${name} -->([^]*?)<!-- /bench:${name} -->`).exec(text);
    assert(found !== null, `no bench:${name} markers`);
    return found[1]!;
  };
  // deno fmt may wrap the paragraph again: words and figures must be the same.
  assertEquals(flat(marked(README, README_SECTION)), flat(readmeSection(results)));
  const page = await Deno.readTextFile(`${ROOT}/docs/benchmarks.md`);
  assertEquals(flat(marked(page, "headline")), flat(`**Headline:** ${headline(results)}`));
  // No other figure in the README's benchmark section: every one is generated.
  const section = README.slice(README.indexOf("## Benchmarks"), README.indexOf("## Reliability"));
  const rest = section.replace(/<!-- bench:readme -->[^]*<!-- \/bench:readme -->/, "");
  assertEquals(rest.match(/\d(\.\d+)?(×| %)/g), null, "a figure outside the generated paragraph");
});
