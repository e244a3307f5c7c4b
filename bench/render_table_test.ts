import { equal, match, ok } from "node:assert/strict";
import { spread, timingTable, toMarkdown, toText } from "./render_table.ts";
import { summary } from "./testdata.ts";

Deno.test("timingTable() shows medians with min–max and ratios to (a)", () => {
  const text = toText(timingTable(summary));
  match(text, /\(b\) strategy b/);
  match(text, /18\.00 \(16\.20–19\.80\)/);
  match(text, /1\.80×/);
  match(text, /20 \/ 45/);
  const md = toMarkdown(timingTable(summary));
  ok(md.startsWith("| strategy |"));
  match(md, /\|---\|---:\|/);
});

Deno.test("spread() omits the range of a single sample", () => {
  equal(spread({ n: 1, min: 2, q1: 2, median: 2, q3: 2, max: 2 }, 1), "2.0");
  equal(spread(null, 1), "—");
});
