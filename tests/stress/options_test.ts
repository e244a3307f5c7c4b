/** The stress task's command line: sizes, scenario choice, and where the document goes. */

import { FULL, parseStressArgs, QUICK, SCENARIOS } from "../../stress/options.ts";
import { assertEquals, assertThrows } from "../helpers/assert.ts";

function options(argv: string[]) {
  const parsed = parseStressArgs(argv);
  if (parsed.help) throw new Error("asked for help");
  return parsed.options;
}

Deno.test("a full run measures every scenario at the issue's sizes and writes docs/reliability.md", () => {
  const o = options([]);
  assertEquals(o.only, [...SCENARIOS]);
  assertEquals(o.sizes, FULL);
  assertEquals(o.out, "docs/reliability.md");
  assertEquals(FULL.load.width * FULL.load.depth + 1 >= 2_000, true);
  assertEquals(FULL.storeEntries >= 50_000, true);
  assertEquals(FULL.memory, [100, 2_000, 10_000]);
});

Deno.test("a quick or partial run never overwrites the document of a full one", () => {
  assertEquals(options(["--quick"]).out, null);
  assertEquals(options(["--quick"]).sizes, QUICK);
  assertEquals(options(["--only", "faults,inputs"]).out, null);
  assertEquals(options(["--only", "faults, inputs"]).only, ["faults", "inputs"]);
  assertEquals(options(["--quick", "--out", "/tmp/r.md"]).out, "/tmp/r.md");
});

Deno.test("a bad option is one line that names it", () => {
  assertThrows(() => parseStressArgs(["--only", "load,lod"]), '--only: no scenario "lod"');
  assertThrows(() => parseStressArgs(["extra"]), "unexpected argument extra");
  assertEquals(parseStressArgs(["-h"]), { help: true });
});
