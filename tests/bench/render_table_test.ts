import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  clientTable,
  failureTable,
  spread,
  timingTable,
  toMarkdown,
  toText,
} from "../../bench/render_table.ts";
import { computingSummary, failingSummary, summary } from "./testdata.ts";

Deno.test("timingTable() shows medians with min–max and ratios to (a)", () => {
  const text = toText(timingTable(summary));
  assertIncludes(text, "(b) push at end");
  assertIncludes(text, "18.00 (16.20–19.80)");
  assertIncludes(text, "1.80×");
  assertIncludes(text, "20 / 45");
  const md = toMarkdown(timingTable(summary));
  assert(md.startsWith("| strategy |"));
  assertIncludes(md, "|---|---:|");
});

Deno.test("failureTable() shows the share of finished derivations that reached the cache", () => {
  const md = toMarkdown(failureTable(failingSummary));
  assertIncludes(md, "| (b) push at end | 100 (90–110) | 0 | 0 % |");
  assertIncludes(md, "| (d) attic-ci, attic CLI | 100 (90–110) | 100 | 100 % |");
});

Deno.test("spread() omits the range of a single sample", () => {
  assertEquals(spread({ n: 1, min: 2, q1: 2, median: 2, q3: 2, max: 2 }, 1), "2.0");
  assertEquals(spread(null, 1), "—");
});

Deno.test("clientTable() puts the CLI (d) beside the built-in client (f), per successful scenario", () => {
  const table = clientTable([
    { title: "10 derivations", summary },
    { title: "10 derivations that compute", summary: computingSummary },
    { title: "failing", summary: failingSummary },
  ])!;
  assertEquals(table.rows.length, 2);
  assertEquals(table.rows[0], [
    "10 derivations",
    "1.10× / 1.06×",
    "+5.0 % / +2.0 %",
    "2 / 2",
    "— / —",
    "— / —",
  ]);
  assertEquals(table.rows[1]![2], "+15.0 % / +8.0 %");
  assertEquals(
    clientTable([{
      title: "x",
      summary: { ...summary, strategies: summary.strategies.slice(0, 3) },
    }]),
    null,
  );
});
