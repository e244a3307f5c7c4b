import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { parseStrategyList, readReport } from "../../bench/strategies.ts";

Deno.test("parseStrategyList() reads a comma-separated list and rejects unknown ids", () => {
  assertEquals(parseStrategyList("a, b,d"), ["a", "b", "d"]);
  assert(assertThrows(() => parseStrategyList("a,x"), 'strategy "x"') instanceof RangeError);
});

Deno.test("readReport() returns the helper's report, or null when it wrote none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "attic-ci-bench-test-" });
  try {
    assertEquals(await readReport(`${dir}/missing.json`), null);
    const file = `${dir}/report.json`;
    await Deno.writeTextFile(file, JSON.stringify({ schema: "attic-ci/report@1", pushed: 3 }));
    assertEquals((await readReport(file))?.pushed, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readReport() rejects a file of another schema, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "attic-ci-bench-test-" });
  try {
    const file = `${dir}/report.json`;
    await Deno.writeTextFile(file, JSON.stringify({ schema: "attic-ci/report@2" }));
    await assertRejects(
      () => readReport(file),
      'expected schema attic-ci/report@1, current value is "attic-ci/report@2"',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
