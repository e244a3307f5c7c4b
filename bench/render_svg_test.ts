import { equal, match, ok } from "node:assert/strict";
import { escapeXml, niceCeiling, renderChart } from "./render_svg.ts";
import { summary } from "./testdata.ts";

Deno.test("renderChart() writes one well-formed SVG with a row per strategy", () => {
  const svg = renderChart([{ title: "ten <derivations>", summary }], { subtitle: "a & b" });
  ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  ok(svg.trimEnd().endsWith("</svg>"));
  match(svg, /ten &lt;derivations&gt;/);
  match(svg, /a &amp; b/);
  for (const id of ["a", "b", "d"]) match(svg, new RegExp(`\\(${id}\\) strategy ${id}`));
  ok(!svg.includes("NaN"));
});

Deno.test("niceCeiling() rounds up to a readable axis end", () => {
  equal(niceCeiling(1.7), 2);
  equal(niceCeiling(2.2), 3);
  equal(niceCeiling(9.82), 10);
  equal(niceCeiling(12), 15);
  equal(escapeXml(`<"&>`), "&lt;&quot;&amp;&gt;");
});
