/**
 * The README's benchmark paragraph: the headline of the results and where
 * they were measured, wrapped as `deno fmt` leaves it; and `writeDocs` puts
 * it between README.md's markers.
 */

import { parseResults } from "../../bench/load_results.ts";
import { readmeSection } from "../../bench/readme_section.ts";
import { headline } from "../../bench/results.ts";
import { replaceMarkedSections } from "../../bench/write_docs.ts";
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { results } from "./testdata.ts";

Deno.test("readmeSection() gives the headline and the machine, wrapped within 100 columns", () => {
  const r = results(undefined, { failing: true, computing: true });
  const text = readmeSection(r);
  const lines = text.split("\n");
  assert(lines.length > 1 && lines.every((l) => l.length <= 100 && l === l.trim()), text);
  assertEquals(
    text.replace(/\s+/g, " "),
    `${headline(r)} Measured on 2 cores (cpu, 1 GiB) with attic-ci 0, Nix 2.8.0 and Deno d, ` +
      "preset `custom`, on 2026-01-01.",
  );
  // Rewriting the README twice gives the same README.
  const readme = "# R\n\n<!-- bench:readme -->\nold\n<!-- /bench:readme -->\n\ntail\n";
  const once = replaceMarkedSections(readme, { readme: text });
  assertEquals(replaceMarkedSections(once, { readme: text }), once);
});

Deno.test("parseResults() reads results back with their summaries, and refuses another schema", () => {
  const r = results();
  const read = parseResults(
    JSON.stringify({ ...r, scenarios: r.scenarios.map(({ result }) => ({ result })) }),
  );
  assertEquals(read.scenarios.length, 1);
  assert(read.scenarios[0]!.summary !== undefined);
  assertThrows(() => parseResults('{"schema": "x"}', "f.json"), "Cannot read f.json");
});
