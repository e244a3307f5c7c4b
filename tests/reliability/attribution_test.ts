/**
 * Two jobs at once on one store, each pushing to its own cache: each cache
 * gets all of its own job's outputs and none of the other's. Each job runs in
 * a process group of its own (`setsid`), as two CI jobs do — one
 * `attic-ci build`, one `attic-ci exec` around `nix-build` — on a
 * single-user Nix, where the job's own Nix processes tell its paths.
 */

import { assertEquals } from "../helpers/assert.ts";
import { MAIN, readReport } from "../helpers/cli.ts";
import {
  cachedPaths,
  GRAPH,
  graphBuild,
  newTag,
  NIX_TEST_ENV,
  storePathsOf,
  tempDir,
} from "../helpers/nix.ts";
import { v8FlagsArgument } from "../../src/system/v8_flags.ts";

/** `attic-ci ARGS…` as a job of its own: a new session and process group. */
function job(args: string[], cwd: string): Promise<Deno.CommandOutput> {
  return new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", "--quiet", v8FlagsArgument(), MAIN, ...args],
    env: NIX_TEST_ENV,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/** The engine flags of a job pushing with nix-copy into `<dir>/<name>`. */
function copyTo(dir: string, name: string): string[] {
  return [
    "--backend",
    "nix-copy",
    "--to",
    `file://${dir}/${name}`,
    "--no-pull",
    "--state-dir",
    `${dir}/state-${name}`,
    "--report",
    `${dir}/${name}.json`,
  ];
}

Deno.test("two jobs at once on one store (build, and exec around nix-build), each pushing to its own cache: each cache holds all of its job's outputs and none of the other's", async () => {
  const dir = await tempDir();
  try {
    const [a, b] = [newTag("ja"), newTag("jb")];
    const shape = { width: 4, depth: 4, sleep: "0.05" };
    const [built, execd] = await Promise.all([
      job([
        "build",
        ...copyTo(dir, "a"),
        "all",
        "--",
        "-f",
        GRAPH,
        "--argstr",
        "tag",
        a,
        "--arg",
        "width",
        "4",
        "--arg",
        "depth",
        "4",
        "--argstr",
        "sleep",
        "0.05",
        "--no-link",
      ], dir),
      job(["exec", ...copyTo(dir, "b"), "--", ...graphBuild(b, shape), "--no-out-link"], dir),
    ]);
    const d = new TextDecoder();
    assertEquals(built.code, 0, d.decode(built.stderr));
    assertEquals(execd.code, 0, d.decode(execd.stderr));

    for (const [cache, own, other] of [["a", a, b], ["b", b, a]] as const) {
      const cached = new Set(await cachedPaths(`${dir}/${cache}`));
      const mine = (await storePathsOf(own)).valid;
      assertEquals(mine.length, 17);
      assertEquals(mine.filter((p) => !cached.has(p)), [], `cache ${cache} lacks its own outputs`);
      const theirs = (await storePathsOf(other)).valid.filter((p) => cached.has(p));
      assertEquals(theirs, [], `cache ${cache} holds the other job's outputs`);
      const report = await readReport(`${dir}/${cache}.json`) as unknown as {
        attribution: { mode: string; foreign: number; unattributed: number };
      };
      assertEquals(report.attribution.mode, "process");
      assertEquals(report.attribution.unattributed, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
