/**
 * Faults: whatever happens to the cache, the helper or the machine, the
 * build's result is untouched and nothing it finished is lost for good — and
 * the log says what happened, in one line where it is one fault.
 */

import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import {
  atticWorld,
  finish,
  processGone,
  readAtticReport,
  spawnCli,
  waitFor,
  watcherPid,
} from "../helpers/attic.ts";
import { nixCopyArgs, runCli } from "../helpers/cli.ts";
import { tmpfs } from "../helpers/tmpfs.ts";
import { graphBuild, hasNarinfo, newTag, sh, storePathsOf, tempDir } from "../helpers/nix.ts";

async function allCached(cache: string, tag: string): Promise<string[]> {
  const { valid } = await storePathsOf(tag);
  assert(valid.length > 0, "nothing was built");
  const missing: string[] = [];
  for (const path of valid) if (!(await hasNarinfo(cache, path))) missing.push(path);
  return missing;
}

Deno.test("a push that hangs is timed out and retried, and everything arrives", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const report = `${world.dir}/report.json`;
    const result = await runCli([
      "exec",
      ...world.args("--push-timeout", "1", "--retry-delay", "0.1", "--report", report),
      "--",
      ...graphBuild(tag, { depth: 2 }),
    ], { env: { ...world.env, ATTIC_DOUBLE_HANG_TIMES: "2" }, cwd: world.dir });
    assertEquals(result.code, 0, result.stderr);
    assertEquals(await allCached(world.cache, tag), []);
    const r = await readAtticReport(report);
    assert(r.retries >= 1, `no retry after a hang: ${result.stderr}`);
    assertEquals(r.failed, []);
    assertIncludes(result.stderr, "stopped after a timeout");
    const hung = (await world.invocations()).filter((i) => i.fault === "hang");
    assertEquals(hung.length, 2, "both hanging pushes were cut off and logged");
  } finally {
    await world.dispose();
  }
});

Deno.test("a cache that is down for the whole build leaves its status untouched; a later push uploads everything", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const down = await runCli([
      "exec",
      ...world.args("--retries", "1", "--retry-delay", "0.1"),
      "--",
      ...graphBuild(tag, { depth: 2 }),
    ], { env: { ...world.env, ATTIC_DOUBLE_EXIT: "1" }, cwd: world.dir });
    assertEquals(down.code, 0, "the build succeeded; the cache's bad day is not its failure");
    assertIncludes(down.stderr, "could not be pushed; the build result is unaffected");
    assertEquals(
      (await allCached(world.cache, tag)).length,
      (await storePathsOf(tag)).valid.length,
    );

    // The cache is back: the recorded session says what is missing.
    const later = await runCli(["push", ...world.args()], { env: world.env, cwd: world.dir });
    assertEquals(later.code, 0, later.stderr);
    assertEquals(await allCached(world.cache, tag), []);

    // --strict turns a good build into a failure when the cache is down, as asked (a new session).
    const strictTag = newTag();
    const strict = await runCli(
      [
        "exec",
        ...world.args("--retries", "0", "--strict"),
        "--",
        ...graphBuild(strictTag, { depth: 1, sleep: "0" }),
      ],
      { env: { ...world.env, ATTIC_DOUBLE_EXIT: "1" }, cwd: world.dir },
    );
    assertEquals(strict.code, 1, strict.stderr);
  } finally {
    await world.dispose();
  }
});

Deno.test("SIGKILL of the watcher mid-build loses nothing once push has run", async () => {
  const world = await atticWorld();
  try {
    const tag = newTag();
    const start = await runCli(["start", ...world.args()], { env: world.env, cwd: world.dir });
    assertEquals(start.code, 0, start.stderr);
    const pid = await watcherPid(world.state);
    assert(pid !== null);
    const build = new Deno.Command("nix-build", {
      args: graphBuild(tag, { depth: 4, sleep: "0.2" }).slice(1),
      cwd: world.dir,
      env: { NIX_CONFIG: "substituters =\n" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitFor(async () => (await storePathsOf(tag)).valid.length >= 3, "the first outputs");
    Deno.kill(pid, "SIGKILL");
    assertEquals((await build.status).code, 0, "the build goes on without the watcher");
    await waitFor(() => processGone(pid), "the killed watcher to be gone");

    const push = await runCli(["push", ...world.args()], { env: world.env, cwd: world.dir });
    assertEquals(push.code, 0, push.stderr);
    assertEquals(await allCached(world.cache, tag), []);
  } finally {
    await world.dispose();
  }
});

Deno.test("SIGTERM to exec reaches the build, drains within the deadline, and exits 128+15", async () => {
  const dir = await tempDir();
  try {
    const tag = newTag();
    const child = spawnCli([
      "exec",
      ...nixCopyArgs(dir, { report: true }),
      "--drain-timeout",
      "30",
      "--",
      ...graphBuild(tag, { depth: 6, sleep: "0.3" }),
    ], { cwd: dir });
    await waitFor(async () => (await storePathsOf(tag)).valid.length >= 4, "the first outputs");
    child.kill("SIGTERM");
    const done = await finish(child, "exec after SIGTERM");
    assertEquals(done.code, 143, done.stderr);
    assertIncludes(done.stderr, "watch-store pushed");
    const { valid } = await storePathsOf(tag);
    assert(valid.length < 37, "the build was cut short");
    for (const path of valid) assert(await hasNarinfo(`${dir}/cache`, path), `${path} was lost`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unwritable state directory is one line; the build runs uncached unless --strict", async () => {
  const ro = await tmpfs("1m", ",ro");
  try {
    const args = [
      "exec",
      "--backend",
      "nix-copy",
      "--to",
      "file:///tmp/unused",
      "--state-dir",
      `${ro.dir}/state`,
    ];
    const marker = `${ro.dir}-ran`;
    const relaxed = await runCli([...args, "--", "sh", "-c", `touch ${marker}; exit 3`]);
    assertEquals(relaxed.code, 3, "the build ran and its status is the exit code");
    assert(await Deno.stat(marker).then(() => true, () => false));
    await Deno.remove(marker);
    const errors = relaxed.stderr.split("\n").filter((line) => line.includes("error:"));
    assertEquals(errors.length, 1, relaxed.stderr);
    assertIncludes(
      errors[0]!,
      `cannot use ${ro.dir}/state as a private state directory: read-only file system`,
    );

    const strict = await runCli([...args, "--strict", "--", "sh", "-c", `touch ${marker}`]);
    assertEquals(strict.code, 2);
    assertEquals(strict.stderr.trim().split("\n").length, 1, strict.stderr);
    assert(!(await Deno.stat(marker).then(() => true, () => false)), "--strict ran the build");
  } finally {
    await ro.unmount();
  }
});

Deno.test("a missing store directory is one line; the build runs uncached unless --strict", async () => {
  const dir = await tempDir();
  try {
    // (The cache is unsigned: --no-pull keeps the pull side's warning about it out of the count.)
    const args = [...nixCopyArgs(dir), "--store-dir", "/nonexistent/nix/store", "--no-pull"];
    const relaxed = await runCli(["exec", ...args, "--", "sh", "-c", "exit 5"], { cwd: dir });
    assertEquals(relaxed.code, 5);
    assertIncludes(relaxed.stderr, "error: cannot read the Nix store /nonexistent/nix/store");
    const strict = await runCli(["exec", ...args, "--strict", "--", "true"], { cwd: dir });
    assertEquals(strict.code, 2);
    assertEquals(strict.stderr.trim().split("\n").length, 1, strict.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a disk that fills up while recording is one warning; the build finishes and everything is pushed", async () => {
  // Room for the baseline (one line per store entry) and a little more.
  const entries = [...Deno.readDirSync("/nix/store")].length;
  const fs = await tmpfs(`${Math.ceil((entries * 100) / 2 ** 20) + 1}m`);
  const dir = await tempDir();
  try {
    const tag = newTag();
    const state = `${fs.dir}/state`;
    const report = `${dir}/report.json`;
    const child = spawnCli([
      "exec",
      ...nixCopyArgs(dir, { stateDir: state }),
      // The cache is unsigned: without --no-pull the pull side would say so in a warning too.
      "--no-pull",
      "--report",
      report,
      "--",
      // 100 outputs: the ledger needs more than its first page of the tmpfs.
      ...graphBuild(tag, { width: 10, depth: 10, sleep: "0.05" }),
    ], { cwd: dir });
    // The baseline is written once the store is listed, as the build runs.
    await waitFor(
      () => Deno.stat(`${state}/baseline.txt`).then(() => true, () => false),
      "the session's baseline",
    );
    // Fill the disk: the ledger's next page cannot be had.
    await sh("sh", ["-c", `dd if=/dev/zero of=${fs.dir}/filler bs=64k 2>/dev/null; true`]);
    const done = await finish(child, "exec on a full disk");
    // The later tag's paths are in the cache whether or not the ledger could say so.
    assertEquals(done.code, 0, done.stderr);
    const warnings = done.stderr.split("\n").filter((line) => line.includes("cannot record"));
    assertEquals(warnings.length, 1, done.stderr);
    assertIncludes(warnings[0]!, "no space left on device");
    assertEquals(await allCached(`${dir}/cache`, tag), []);
    const r = await readAtticReport(report);
    assert((r as unknown as { unrecorded: number }).unrecorded > 0, "the report counts them");
  } finally {
    await fs.unmount();
    await Deno.remove(dir, { recursive: true });
  }
});
