/**
 * `attic-ci build`: nix build under exec's lifecycle, with the installables
 * and Nix flags from arguments or from the component's list variables.
 */

import { selfCommand } from "../../src/system/real_system.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { nixCopyArgs, readReport, runCli, runInProcess } from "../helpers/cli.ts";
import { GRAPH, hasNarinfo, newTag, storePathsOf, tempDir } from "../helpers/nix.ts";

Deno.test("build takes installables and nix flags from list variables and caches every output", async () => {
  const dir = await tempDir();
  const tag = newTag();
  const result = await runCli(["build", ...nixCopyArgs(dir, { report: true })], {
    cwd: dir,
    env: {
      ATTIC_CI_INSTALLABLES: '["all"]\n',
      ATTIC_CI_NIX_FLAGS: JSON.stringify([
        "-f",
        GRAPH,
        "--argstr",
        "tag",
        tag,
        "--arg",
        "width",
        "3",
        "--arg",
        "depth",
        "3",
        "--argstr",
        "sleep",
        "0.05",
      ]),
    },
  });
  assertEquals(result.code, 0, result.stderr);
  assertIncludes(
    result.stderr,
    `running: nix --extra-experimental-features 'nix-command flakes' build -f ${GRAPH} --argstr tag ${tag}`,
  );
  const { valid } = await storePathsOf(tag);
  assertEquals(valid.length, 10);
  for (const path of valid) assert(await hasNarinfo(`${dir}/cache`, path), path);
  const report = await readReport(`${dir}/report.json`);
  assertEquals(report.command, "build");
  assert((report.pushCalls as unknown[]).length > 0, "no push call in the report");
});

Deno.test("build: arguments beat the variables, and nix build's failure is build's exit status", async () => {
  const dir = await tempDir();
  const tag = newTag();
  const result = await runCli([
    "build",
    ...nixCopyArgs(dir),
    "all",
    "--",
    "-f",
    GRAPH,
    "--argstr",
    "tag",
    tag,
    "--argstr",
    "failAt",
    "l1n0",
    "--argstr",
    "sleep",
    "0",
  ], {
    cwd: dir,
    env: { ATTIC_CI_INSTALLABLES: '[".#not-this"]', ATTIC_CI_NIX_FLAGS: "[--nope]" },
  });
  assertEquals(result.code, 1, result.stderr);
  assertIncludes(result.stderr, "l1n0 fails on purpose");
  assert(!result.stderr.includes("not-this"), result.stderr);
  const { valid } = await storePathsOf(tag);
  assert(valid.length >= 6, `the first layer was built: ${valid.length}`);
  for (const path of valid) assert(await hasNarinfo(`${dir}/cache`, path), path);
});

Deno.test("build: a malformed ATTIC_CI_INSTALLABLES is one line naming it, exit 2", async () => {
  const result = await runInProcess(["build", "--backend", "nix-copy", "--to", "file:///tmp/x"], {
    env: { ATTIC_CI_INSTALLABLES: '[".#a", ' },
  });
  assertEquals(result.code, 2);
  assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
  assertIncludes(result.stderr, "ATTIC_CI_INSTALLABLES: is not a valid list");
});

Deno.test("selfCommand() starts the helper through the launcher named by ATTIC_CI_SELF when there is one", () => {
  assertEquals(selfCommand({ ATTIC_CI_SELF: "/tmp/x/attic-ci" }), ["/tmp/x/attic-ci"]);
  const own = selfCommand({});
  assertEquals(own[0], Deno.execPath());
  assertEquals(own.at(-1)?.endsWith("/src/main.ts"), true);
});
