/**
 * `attic-ci exec` end to end: real Nix builds of the demo graph, streamed with
 * the nix-copy backend into a real local binary cache.
 */

import { assert, assertEquals } from "../helpers/assert.ts";
import { nixCopyArgs, readReport, runCli } from "../helpers/cli.ts";
import {
  cachedPaths,
  derivationsOf,
  graphBuild,
  hasNarinfo,
  newTag,
  nixReadsBack,
  storePathsOf,
  tempDir,
} from "../helpers/nix.ts";

Deno.test("exec pushes every output of a 31-derivation build while it runs, and no .drv", async () => {
  const dir = await tempDir();
  const cache = `${dir}/cache`;
  const tag = newTag();
  const result = await runCli([
    "exec",
    ...nixCopyArgs(dir, { report: true }),
    "--",
    ...graphBuild(tag),
  ], { cwd: dir });
  assertEquals(result.code, 0, result.stderr);

  const { valid } = await storePathsOf(tag);
  assertEquals(valid.length, 31, "5 layers of 6 nodes plus the top");
  for (const path of valid) assert(await hasNarinfo(cache, path), `${path} is not in the cache`);
  assert(await nixReadsBack(`file://${cache}`, valid), "nix cannot read the cache back");
  const cached = await cachedPaths(cache);
  assertEquals(cached.filter((p) => p.endsWith(".drv")), [], "no .drv is pushed");
  assert((await derivationsOf(tag)).length === 31, "the build did make .drv files");

  const report = await readReport(`${dir}/report.json`);
  const ours = report.paths.filter((p) => p.path.includes(`-${tag}-`) && p.pushedAt !== null);
  assertEquals(ours.map((p) => p.path).sort(), valid);
  assert(
    ours.every((p) => p.phase === "incremental"),
    "every path was pushed by the streaming, not by the final push",
  );
  assert(report.incremental >= 31, `report says ${report.incremental}`);
  assertEquals(report.failed, []);
  assertEquals(report.exitCode, 0);
  assert(
    result.stderr.includes(`watch-store pushed ${report.incremental} store paths incrementally`),
    result.stderr,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("exec keeps what finished before a failure, skips the failed output, and exits with the build's status", async () => {
  const dir = await tempDir();
  const cache = `${dir}/cache`;
  const tag = newTag();
  const result = await runCli([
    "exec",
    ...nixCopyArgs(dir, { report: true }),
    "--",
    ...graphBuild(tag, { failAt: "l2n3" }),
  ], { cwd: dir });
  assertEquals(result.code, 100, "nix-build's own status for a failed build");

  const { valid, invalid } = await storePathsOf(tag);
  assert(valid.length >= 12, `layers 0 and 1 finished: ${valid.length} valid`);
  for (const path of valid) assert(await hasNarinfo(cache, path), `${path} is not in the cache`);
  const failed = invalid.find((p) => p.endsWith("-l2n3"));
  assert(failed !== undefined, "the failed build left its invalid output behind");
  assert(!(await hasNarinfo(cache, failed)), "the invalid leftover is not pushed");

  const report = await readReport(`${dir}/report.json`);
  assertEquals(report.exitCode, 100);
  assert(report.skipped.invalid >= 1, "the invalid leftover is counted as skipped");
  assertEquals(report.failed, []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("exec returns 127 when the command does not exist, and still reports", async () => {
  const dir = await tempDir();
  const result = await runCli([
    "exec",
    ...nixCopyArgs(dir),
    "--",
    "attic-ci-no-such-command",
  ], { cwd: dir });
  assertEquals(result.code, 127);
  assert(result.stderr.includes("cannot start attic-ci-no-such-command"), result.stderr);
  // Other processes may finish paths in the shared store meanwhile: the count is not ours to fix.
  assert(/^watch-store pushed \d+ store paths incrementally$/m.test(result.stderr), result.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("exec passes the command's signal status on as 128+N", async () => {
  const dir = await tempDir();
  const result = await runCli([
    "exec",
    ...nixCopyArgs(dir),
    "--",
    "/bin/sh",
    "-c",
    "kill -TERM $$",
  ], { cwd: dir });
  assertEquals(result.code, 143);
  await Deno.remove(dir, { recursive: true });
});
