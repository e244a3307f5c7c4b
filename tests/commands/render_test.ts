/**
 * `attic-ci render REPORT.json [--out FILE]`, in-process: any saved report
 * drawn as its timeline picture, on stdout or into a file; one line and exit
 * 2 for anything that is not a report. No Nix needed.
 */

import { runInProcess } from "../helpers/cli.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";
import { syntheticReport } from "../helpers/report_fixture.ts";

Deno.test("render draws a saved report to stdout, or into --out relative to the working directory", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/report.json`, JSON.stringify(syntheticReport(20)));
    const printed = await runInProcess(["render", "report.json"], { cwd: dir });
    assertEquals(printed.code, 0, printed.stderr);
    assert(printed.stdout.startsWith("<svg "), printed.stdout.slice(0, 80));
    assertIncludes(printed.stdout, "pushed during the build");

    const written = await runInProcess(["render", `${dir}/report.json`, "--out", "t.svg"], {
      cwd: dir,
    });
    assertEquals(written.code, 0, written.stderr);
    assertEquals(written.stdout, "");
    assertEquals(await Deno.readTextFile(`${dir}/t.svg`), printed.stdout);
    assertIncludes(written.stderr, "written to t.svg");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("render refuses, in one line and with exit 2, a missing argument, a missing file and what is not a report", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/other.json`, '{"schema": "attic-ci/status@1"}');
    const cases: [string[], string][] = [
      [["render"], "REPORT.json: is missing"],
      [["render", "absent.json"], "absent.json: cannot be read"],
      [
        ["render", "other.json"],
        'other.json: is not an attic-ci report: its schema is "attic-ci/status@1"',
      ],
      [["render", "a.json", "b.json"], "b.json: unexpected argument"],
    ];
    for (const [args, said] of cases) {
      const result = await runInProcess(args, { cwd: dir });
      assertEquals(result.code, 2, args.join(" "));
      assertIncludes(result.stderr, said);
      assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("render --help says what it draws; the top-level help lists it", async () => {
  const help = await runInProcess(["render", "--help"]);
  assertEquals(help.code, 0);
  assertIncludes(help.stdout, "Usage: attic-ci render REPORT.json [--out FILE]");
  assertIncludes((await runInProcess(["--help"])).stdout, "render REPORT.json");
});
