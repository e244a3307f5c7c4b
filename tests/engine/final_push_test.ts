/**
 * The final push's reconcile finds what the watcher never saw.
 */

import { run } from "../../src/dispatch.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { nixCopyArgs, readReport } from "../helpers/cli.ts";
import { DeafWatcher, RescanningWatcher, testContext } from "../helpers/context.ts";
import { graphBuild, hasNarinfo, newTag, sh, storePathsOf, tempDir } from "../helpers/nix.ts";

function execArgs(dir: string, tag: string): string[] {
  return [
    "exec",
    ...nixCopyArgs(dir, { report: true }),
    "--",
    ...graphBuild(tag, { depth: 3 }),
  ];
}

Deno.test("reconcile pushes every path a deaf watcher never saw, and result* out-links", async () => {
  const dir = await tempDir();
  const tag = newTag();
  const t = testContext({ cwd: dir, watchStore: () => new DeafWatcher() });
  // The baseline is listed while the build starts, and a real watch names what the build makes
  // meanwhile (tests/store/store_baseline_test.ts); a deaf one cannot, so this build waits for
  // the listing to end: what is tested here is the reconcile.
  const [exec, ...rest] = execArgs(dir, tag);
  const at = rest.indexOf("--");
  const args = [
    exec!,
    ...rest.slice(0, at + 1),
    "sh",
    "-c",
    'sleep 1; exec "$@"',
    "sh",
    ...rest.slice(at + 1),
  ];
  assertEquals(await run(args, t.ctx), 0, t.log());

  const { valid } = await storePathsOf(tag);
  assertEquals(valid.length, 19);
  for (const path of valid) assert(await hasNarinfo(`${dir}/cache`, path), `${path} missing`);
  const report = await readReport(`${dir}/report.json`);
  assertEquals(report.incremental, 0);
  const ours = report.paths.filter((p) => p.path.includes(`-${tag}-`));
  assertEquals(ours.map((p) => p.path).sort(), valid);
  assert(ours.every((p) => p.phase === "final" && p.pushedAt !== null));
  assert(report.finalPushDetail.outLinks === 1, "./result was pushed as an out-link");
  assert(report.finalPushDetail.reconciled >= 18, "the rest was found by the reconcile");
  const listing = report.storeListing as Record<string, number | null>;
  assert(typeof listing.baselineSeconds === "number", "the baseline listing is timed");
  assert(typeof listing.reconcileSeconds === "number", "the reconcile listing is timed");
  assertIncludes(t.log(), "(the store listed and diffed in ");
  assertIncludes(t.log(), "watch-store pushed 0 store paths incrementally");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an injected rescan (queue overflow) finds finished paths while the build runs", async () => {
  const dir = await tempDir();
  const tag = newTag();
  const t = testContext({ cwd: dir, watchStore: () => new RescanningWatcher(300) });
  assertEquals(await run(execArgs(dir, tag), t.ctx), 0, t.log());

  const { valid } = await storePathsOf(tag);
  for (const path of valid) assert(await hasNarinfo(`${dir}/cache`, path), `${path} missing`);
  const report = await readReport(`${dir}/report.json`);
  const incremental = report.paths.filter((p) =>
    p.path.includes(`-${tag}-`) && p.phase === "incremental" && p.pushedAt !== null
  );
  assert(incremental.length > 0, "rescans found paths during the build");
  assert((report.rescans as number) > 0);
  assertIncludes(t.log(), "injected rescan; rescanning the store for missed paths");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("push with no recorded session pushes the given paths and says there is nothing to reconcile", async () => {
  const dir = await tempDir();
  const tag = newTag();
  const t0 = testContext({ cwd: dir });
  // Build first (outside any session), then push one output by path and ./result as out-link.
  const build = await sh("nix-build", graphBuild(tag, { depth: 2 }).slice(1), { cwd: dir });
  assertEquals(build.code, 0, build.stderr);
  const { valid } = await storePathsOf(tag);
  const one = valid.find((p) => p.endsWith("-l0n0"))!;
  const code = await run([
    "push",
    ...nixCopyArgs(dir),
    one,
  ], t0.ctx);
  assertEquals(code, 0, t0.log());
  assertIncludes(t0.log(), "nothing to reconcile");
  // The out-link's closure is the whole graph: every output is in the cache.
  for (const path of valid) assert(await hasNarinfo(`${dir}/cache`, path), `${path} missing`);
  await Deno.remove(dir, { recursive: true });
});
