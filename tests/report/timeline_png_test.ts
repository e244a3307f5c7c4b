/**
 * A look at the timeline picture itself: the SVG of a 20-path and of a
 * 2,000-path report rendered to PNG by a real renderer (librsvg's
 * rsvg-convert, which .ci/setup installs), decoded, and checked for what a
 * person would see: the picture's size, not blank, text drawn, and each
 * colour the picture uses for a thing in the amount that thing takes (the
 * build's band, finished marks, cached while the build ran, cached by the
 * final push, failures). Set ATTIC_CI_TEST_PNG_DIR to keep the PNGs.
 */

import { decode } from "fast-png";
import { timelinePicture } from "../../src/report/timeline_picture.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";
import { syntheticReport } from "../helpers/report_fixture.ts";

/** The picture's colours, as the renderer draws them. */
const COLORS = {
  text: [0x1f, 0x29, 0x33],
  finished: [0x52, 0x60, 0x6d],
  incremental: [0x2f, 0x9e, 0x44],
  final: [0xe8, 0x59, 0x0c],
  failed: [0xc9, 0x2a, 0x2a],
  build: [0xd0, 0xeb, 0xff],
} as const;

/** A decoded PNG and how many of its pixels have each colour (near enough) or are not white. */
interface Look {
  readonly width: number;
  readonly height: number;
  readonly notWhite: number;
  readonly colors: Record<keyof typeof COLORS, number>;
}

async function render(svg: string, name: string): Promise<Look> {
  const keep = Deno.env.get("ATTIC_CI_TEST_PNG_DIR");
  const dir = keep ?? await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/${name}.svg`, svg);
    let out;
    try {
      out = await new Deno.Command("rsvg-convert", {
        args: ["-f", "png", "-o", `${dir}/${name}.png`, `${dir}/${name}.svg`],
        stderr: "piped",
      }).output();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new Error("rsvg-convert is missing: apt-get install librsvg2-bin (.ci/setup does)");
    }
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const png = decode(await Deno.readFile(`${dir}/${name}.png`));
    const step = png.channels;
    const colors = Object.fromEntries(Object.keys(COLORS).map((k) => [k, 0])) as Look["colors"];
    let notWhite = 0;
    for (let i = 0; i < png.data.length; i += step) {
      const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
      if (r < 245 || g < 245 || b < 245) notWhite++;
      for (const [key, [cr, cg, cb]] of Object.entries(COLORS)) {
        if (Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) <= 24) {
          colors[key as keyof typeof COLORS]++;
        }
      }
    }
    return { width: png.width, height: png.height, notWhite, colors };
  } finally {
    if (!keep) await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the picture of a 20-path report, rendered: its size, text, the build's band, every path's marks, the final push and the failures", async () => {
  const report = syntheticReport(20);
  const look = await render(timelinePicture(report), "timeline-20");
  assertEquals(look.width, 1100);
  assert(look.height > 20 * 18 + 200, `height ${look.height}`);
  const pixels = look.width * look.height;
  assert(look.notWhite > pixels * 0.05, `nearly blank: ${look.notWhite} of ${pixels} pixels drawn`);
  const c = look.colors;
  assert(c.text > 2_000, `hardly any text: ${c.text} pixels`);
  assert(c.build > 5_000, `no build band: ${c.build} pixels`);
  // 20 finished dots (about 50 pixels each), 16 green and 2 orange diamonds and their lines.
  assert(c.finished > 20 * 30, `finished marks: ${c.finished} pixels`);
  assert(c.incremental > 16 * 40, `cached while the build ran: ${c.incremental} pixels`);
  assert(c.final > 2 * 40, `cached by the final push: ${c.final} pixels`);
  assert(c.failed > 2 * 20, `failures: ${c.failed} pixels`);
});

Deno.test("the picture of a 2,000-path report, rendered: the same size of picture, aggregated bars and curves in the same colours", async () => {
  const report = syntheticReport(2_000, { buildSeconds: 600 });
  const look = await render(timelinePicture(report), "timeline-2000");
  assertEquals(look.width, 1100);
  // Aggregated: as tall as a picture of some 30 rows, not of 2,000.
  assert(look.height > 500 && look.height < 1_000, `height ${look.height}`);
  const c = look.colors;
  assert(c.text > 2_000, `hardly any text: ${c.text} pixels`);
  // Bars of finished and cached paths per time slice across the build, and the curves.
  assert(c.finished > 3_000, `finished bars: ${c.finished} pixels`);
  assert(c.incremental > 3_000, `cached bars and curve: ${c.incremental} pixels`);
  assert(c.final > 300, `the final push's bar: ${c.final} pixels`);
  assert(c.failed > 200, `the failed paths' names: ${c.failed} pixels`);
});
