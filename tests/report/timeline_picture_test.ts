/**
 * The timeline picture: one self-contained SVG, well formed, with the
 * totals, the phases and the build's end; a row per path (named, escaped)
 * for a small build, aggregates with the slowest and failed paths named for
 * a large one. Pure: reports made up here, no Nix.
 */

import { NO_PHASES } from "../../src/report/report.ts";
import { DETAIL_LIMIT, timelinePicture } from "../../src/report/timeline_picture.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { HOSTILE_NAME, syntheticReport } from "../helpers/report_fixture.ts";

/** The element names of `svg` nest and close properly (a small well-formedness check). */
function assertWellFormed(svg: string): void {
  const open: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>|<!--.*?-->/gs)) {
    const [, closing, name, attributes, selfClosing] = match;
    if (name === undefined) continue; // a comment
    // Attribute values are quoted, and quotes inside them are entities.
    assert(
      /^(\s+[\w:-]+="[^"<]*")*\s*$/.test(attributes ?? ""),
      `malformed attributes: ${match[0]}`,
    );
    if (closing) assertEquals(open.pop(), name, `</${name}> closes another element`);
    else if (!selfClosing) open.push(name);
  }
  assertEquals(open, [], "elements left open");
  // Text between tags holds no raw markup character but entities.
  for (const [, text] of svg.matchAll(/>([^<]*)</g)) {
    assert(!/&(?!(amp|lt|gt|quot|#39);)/.test(text!), `unescaped & in ${text}`);
  }
}

/** The text shown in the picture, entities decoded. */
function shownText(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) =>
    text!.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'").replaceAll("&amp;", "&")
  );
}

Deno.test("timelinePicture() of 20 paths: a row per path by name, each finished and cached mark, the totals and the phases", () => {
  const report = syntheticReport(20);
  const svg = timelinePicture(report);
  assertWellFormed(svg);
  assert(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 80));
  const text = shownText(svg);
  // Every path, by name (without its hash), on a row of its own.
  for (const p of report.paths) {
    const name = p.path.slice("/nix/store/".length + 33);
    assert(text.includes(name), `no row names ${name}`);
  }
  // The totals: during the build, at the end, substituted, built, uploaded, failed.
  for (const shown of ["16", "pushed during the build", "2", "pushed at the end", "14", "20"]) {
    assert(text.includes(shown), `the totals do not show ${shown}`);
  }
  assert(text.includes("12 from this cache"), "substituted from this cache");
  assert(text.includes("3.1 MiB"), "bytes uploaded");
  assertIncludes(text.join("\n"), "failed");
  // The phases and the build's end.
  assert(text.some((t) => t.startsWith("build 60 s")), text.join("\n"));
  assert(text.some((t) => t.startsWith("drain 1.8 s")), text.join("\n"));
  assert(text.some((t) => t.startsWith("final push 2.4 s")), text.join("\n"));
  assert(text.includes("build ended (60 s)"), text.join("\n"));
  // One finished mark per path, one cached mark per pushed path, one cross per failure.
  assertEquals(svg.match(/<circle [^>]*fill="#52606d"/g)?.length, 20 + 1, "finished (+ legend)");
  const cached = report.paths.filter((p) => p.pushedAt !== null).length;
  assertEquals(svg.match(/<path d="M[^"]*Z" fill="#(2f9e44|e8590c)"/g)?.length, cached + 2);
  assertEquals(report.failed.length, 2);
  assertEquals(svg.match(/stroke="#c92a2a" stroke-width="2"/g)?.length, 2 + 1);
  // No script, no link, nothing from elsewhere.
  for (const outside of ["<script", "href", "url(", "@import", "<image", "<foreignObject"]) {
    assert(!svg.includes(outside), `the picture contains ${outside}`);
  }
});

Deno.test("timelinePicture() of 2,000 paths aggregates: per-bucket bars and curves, the slowest and the failed named, no row per path", () => {
  const report = syntheticReport(2_000, { buildSeconds: 600 });
  const svg = timelinePicture(report);
  assertWellFormed(svg);
  const text = shownText(svg);
  assert(report.paths.length > DETAIL_LIMIT);
  assertEquals(svg.match(/<circle /g)?.length, 2, "only the legend's circles");
  assert(text.includes("1,798"), "pushed during the build");
  assert(text.includes("200"), "pushed at the end");
  assert(text.includes("2,000"), "built here");
  assert(text.includes("slowest to reach the cache (of 2,000 paths)"), text.join("\n"));
  assert(text.includes("failed (2)"), text.join("\n"));
  for (const path of report.failed) {
    const name = path.slice("/nix/store/".length + 33);
    assert(text.some((t) => t.startsWith(`${name}: attic push exited with 1`)), name);
  }
  // At most 8 slowest paths named: the picture stays small whatever the build's size.
  const named = text.filter((t) => t.startsWith("attic-ci-demo-"));
  assert(named.length <= 8 + 2, `${named.length} names`);
  assert(svg.length < 120_000, `${svg.length} bytes`);
  assert(text.includes("build ended (10 min 0 s)"), text.join("\n"));
});

Deno.test("timelinePicture() of 5,000 paths stays small and names the same things", () => {
  const svg = timelinePicture(syntheticReport(5_000, { buildSeconds: 1_800 }));
  assertWellFormed(svg);
  assert(svg.length < 120_000, `${svg.length} bytes`);
  assert(shownText(svg).includes("4,498"));
});

Deno.test("timelinePicture() escapes what a report holds: a path name, a target, a failure", () => {
  const report = {
    ...syntheticReport(10, { hostileName: true }),
    target: `x"><script>alert(1)</script>`,
  };
  const failed = report.paths[2]!.path;
  const svg = timelinePicture({
    ...report,
    failures: { ...report.failures, [failed]: "<b>&" },
  });
  assertWellFormed(svg);
  assert(!svg.includes("<script"), "a script element");
  assert(!svg.includes("<b "), "a b element");
  assert(shownText(svg).includes(HOSTILE_NAME), "the hostile name is not shown as text");
  assertIncludes(svg, "&lt;script&gt;alert(1)&lt;/script&gt;");
  // Aggregated, the failures are named with their reasons: escaped too.
  const aggregated = timelinePicture({
    ...report,
    failed: [...report.failed, failed].sort(),
    failures: { ...report.failures, [failed]: "<b>&" },
  }, { detailLimit: 0 });
  assertWellFormed(aggregated);
  assert(!aggregated.includes("<b>"), "a b element");
  assert(shownText(aggregated).some((t) => t.endsWith(": <b>&")), "the reason is not shown");
});

Deno.test("timelinePicture() draws a report without phases (an older one) and one of no paths", () => {
  const old = { ...syntheticReport(5), phases: null };
  const svg = timelinePicture(old);
  assertWellFormed(svg);
  assert(!shownText(svg).some((t) => t.startsWith("build ended")));
  const empty = { ...syntheticReport(0), phases: NO_PHASES, substitution: null, transfer: null };
  const none = timelinePicture(empty);
  assertWellFormed(none);
  assertIncludes(none, "0 store paths in the report");
});

Deno.test("timelinePicture() says when pushing was off, and how many paths were left out of the report", () => {
  const report = {
    ...syntheticReport(12),
    pushOff: { reason: "no token in ATTIC_TOKEN", left: 12 },
    omitted: { paths: 9_000, pushCalls: 0 },
  };
  const text = shownText(timelinePicture(report)).join("\n");
  assertIncludes(text, "pushing was off (no token in ATTIC_TOKEN): 12 store paths were not pushed");
  assertIncludes(text, "9,000 earlier ones pushed while streaming are counted above");
});

Deno.test("timelinePicture() draws a report whose times no date has, saying so", () => {
  const report = syntheticReport(3);
  const svg = timelinePicture({ ...report, startedAt: 9e15, endedAt: 9e15 + 1000 });
  assertWellFormed(svg);
  assertIncludes(svg, "started ?");
});
