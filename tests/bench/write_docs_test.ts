import { assert, assertEquals, assertIncludes, assertThrows } from "../helpers/assert.ts";
import { markdownSections, replaceMarkedSections, scenarioNotes } from "../../bench/write_docs.ts";
import { results, summary } from "./testdata.ts";

const PAGE = [
  "# Title",
  "",
  "Hand-written  text, with trailing spaces   ",
  "<!-- bench:headline -->",
  "old headline",
  "<!-- /bench:headline -->",
  "",
  "More prose.\r",
  "<!-- bench:results -->",
  "old",
  "tables",
  "<!-- /bench:results -->",
  "Last line without a newline",
].join("\n");

Deno.test("replaceMarkedSections() replaces only the text between each section's markers", () => {
  const out = replaceMarkedSections(PAGE, { headline: "NEW HEADLINE", results: "| t |" });
  assertEquals(
    out,
    PAGE.replace(
      "<!-- bench:headline -->\nold headline\n",
      "<!-- bench:headline -->\n\nNEW HEADLINE\n\n",
    )
      .replace("<!-- bench:results -->\nold\ntables\n", "<!-- bench:results -->\n\n| t |\n\n"),
  );
  const outside = (text: string) =>
    text.replace(/<!-- bench:(\w+) -->[^]*?<!-- \/bench:\1 -->/g, "");
  assertEquals(outside(out), outside(PAGE));
});

Deno.test("replaceMarkedSections() gives the same page when run twice", () => {
  const sections = { headline: "h", results: "r" };
  const once = replaceMarkedSections(PAGE, sections);
  assertEquals(replaceMarkedSections(once, sections), once);
});

Deno.test("replaceMarkedSections() names a missing or repeated marker", () => {
  assertThrows(
    () => replaceMarkedSections(PAGE, { machine: "m" }, { name: "docs/benchmarks.md" }),
    "Cannot update docs/benchmarks.md as the marker <!-- bench:machine --> must appear once: current count is 0",
  );
  assertThrows(
    () => replaceMarkedSections(PAGE.replace("<!-- /bench:results -->", ""), { results: "r" }),
    "<!-- /bench:results --> must appear once",
  );
  assertThrows(
    () => replaceMarkedSections(`${PAGE}\n<!-- bench:headline -->`, { headline: "h" }),
    "current count is 2",
  );
});

Deno.test("markdownSections() gives the headline, machine, parameters and results", () => {
  const sections = markdownSections(results(undefined, { failing: true, computing: true }));
  assertEquals(Object.keys(sections), [
    "headline",
    "machine",
    "parameters",
    "results",
    "clients",
    "goals",
  ]);
  assert(sections.clients!.startsWith("| scenario | all cached × (a), cli / api |"));
  assert(sections.headline!.startsWith("**Headline:** On a 10-derivation build"));
  assertIncludes(
    sections.machine!,
    "| Nix | nix (Nix) 2.8.0 (single-user, no daemon, no sandbox) |",
  );
  assertIncludes(
    sections.parameters!,
    "| n10 | 10 | 10 | sleep | 200 ms | 64 KiB | 2.0 s | 1.0 s | 1.0 MiB | 100 ms per push + 4.0 MiB/s | 3 |",
  );
  assertIncludes(sections.parameters!, "| n10-cpu | 10 | 10 | compute (360k loops / CPU s) |");
  assertIncludes(
    sections.machine!,
    "| Attic server stand-in | tests/attic_server (sources z), for (f) |",
  );
  assertIncludes(
    sections.results!,
    "### 10 derivations that compute, 100 ms per push + 4.0 MiB/s\n\n| strategy |",
  );
  assertIncludes(
    sections.results!,
    "### 10 derivations, 100 ms per push + 4.0 MiB/s\n\n| strategy |",
  );
  assertIncludes(
    sections.results!,
    "\n\n### 10 derivations, 100 ms per push + 4.0 MiB/s, build fails halfway\n\n",
  );
});

Deno.test("scenarioNotes() gives the built-in client's requests at the test server", () => {
  const entry = results().scenarios[0]!;
  const f = summary.strategies.find((s) => s.strategy === "f")!;
  const withHelper = {
    ...summary,
    strategies: [{
      ...f,
      helper: {
        peakRssMiB: null,
        cpuSeconds: null,
        incremental: null,
        finalPush: null,
        drainSeconds: null,
        failed: 0,
        foreignPaths: 0,
        requestRetries: 2,
      },
    }],
  };
  const notes = scenarioNotes(entry.result, withHelper);
  assertIncludes(
    notes.join("\n"),
    "(f) attic-ci: the test server answered a median 40 API requests per run " +
      "(12 get-missing-paths, 27 uploads of 1.5 MiB in all), 0 refused; 2 request retries; " +
      "the server's own process used 0.4 s of CPU",
  );
  // Results without the helper's start-up report say less.
  assertIncludes(notes.join("\n"), "ms after the helper was spawned (Deno start-up, set-up)");
});

Deno.test("scenarioNotes() splits the helper's start-up from its set-up, and gives its CPU per path", () => {
  const entry = results().scenarios[0]!;
  const f = summary.strategies.find((s) => s.strategy === "f")!;
  const sample = (median: number) => ({
    n: 1,
    min: median,
    q1: median,
    median,
    q3: median,
    max: median,
  });
  const notes = scenarioNotes(entry.result, {
    ...summary,
    strategies: [{
      ...f,
      startup: sample(0.21),
      helper: {
        peakRssMiB: null,
        cpuSeconds: null,
        incremental: null,
        finalPush: null,
        drainSeconds: null,
        failed: 0,
        foreignPaths: 0,
        requestRetries: 0,
        setupSeconds: sample(0.12),
        cpuPerPathMs: sample(2.5),
      },
    }],
  }).join("\n");
  assertIncludes(
    notes,
    "started 210 ms after the helper was spawned: 90 ms its own start-up (Deno's, loading its " +
      "code, while the cache's configuration was asked), 120 ms its set-up (what was left of " +
      "that round trip, the pull side, the store watch)",
  );
  assertIncludes(notes, "the helper used 2.5 ms of CPU per path it pushed.");
});
