/**
 * The helper gives the CPU to the build: once the build has started, every
 * thread of the helper runs at `--nice` (10 by default), while the build it
 * started keeps its own priority; `--nice 0` leaves the helper as it is; a
 * value out of range is one line and exit 2. A helper that falls behind
 * takes its priority back. The report says when the build
 * started and what the helper had spent by then.
 */

import type { Report } from "../../src/report/report.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { nixCopyArgs, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/nix.ts";
import { RescanningWatcher, testContext } from "../helpers/context.ts";
import { run } from "../../src/dispatch.ts";
import { restoreOwnPriority } from "../../src/system/process_priority.ts";
import { getPriority } from "node:os";

/**
 * The build's script: its own nice value, then its parent's (the helper's)
 * threads', read from /proc (field 19 of `stat`, counted after the name) —
 * once the helper's main thread is at `expected` (it lowers itself right
 * after starting the build; a busy machine takes a moment), or after 5 s.
 */
function printNice(expected: number): string[] {
  return [
    "sh",
    "-c",
    [
      "nice_of() { sed 's/^.*) //' \"$1\" | cut -d' ' -f17; }",
      "i=0",
      `while [ "$(nice_of /proc/$PPID/stat)" -lt ${expected} ] && [ $i -lt 50 ]; do`,
      "  sleep 0.1; i=$((i + 1))",
      "done",
      // The other threads are lowered in the same call, right after the main thread.
      "sleep 0.05",
      'echo "build $(nice_of /proc/$$/stat)"',
      'for t in /proc/$PPID/task/*/stat; do echo "helper $(nice_of "$t")"; done',
    ].join("\n"),
  ];
}

/**
 * The nice value a helper this test starts is started with: this process's
 * (0, unless an in-process run of the suite lowered the test runner).
 */
function startPriority(): number {
  return getPriority(0);
}

async function execPrinting(expected: number, ...options: string[]) {
  const dir = await tempDir();
  try {
    const result = await runCli([
      "exec",
      ...nixCopyArgs(dir, { report: true }),
      "--no-pull",
      ...options,
      "--",
      ...printNice(expected),
    ], { cwd: dir });
    const lines = result.stdout.split("\n").filter((line) => line.length > 0);
    const values = (who: string) =>
      lines.filter((line) => line.startsWith(`${who} `)).map((line) => Number(line.split(" ")[1]));
    const report = result.code === 0
      ? JSON.parse(await Deno.readTextFile(`${dir}/report.json`)) as Report
      : null;
    return { result, build: values("build"), helper: values("helper"), report };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("once the build runs, every thread of the helper is at nice 10, and the build keeps its priority", async () => {
  const { result, build, helper, report } = await execPrinting(Math.max(startPriority(), 10));
  assertEquals(result.code, 0, result.stderr);
  const base = startPriority();
  assertEquals(build, [base], "the build runs at the priority the helper was started with");
  assert(helper.length >= 2, `expected the helper's threads, got ${helper.length}`);
  assertEquals(
    new Set(helper),
    new Set([Math.max(base, 10)]),
    `the helper's threads: ${helper.join(" ")}`,
  );
  // The report says how the build was started.
  const startup = report!.startup!;
  assert(startup.helperStartedAt <= startup.buildStartedAt, "the helper started before the build");
  assert(startup.buildStartedAt <= report!.endedAt);
  assert(startup.cpuSeconds > 0 && startup.cpuSeconds <= report!.resources.cpuSeconds);
});

Deno.test("--nice 0 leaves the helper at its own priority, and --nice 19 lowers it the most", async () => {
  const kept = await execPrinting(startPriority(), "--nice", "0");
  assertEquals(kept.result.code, 0, kept.result.stderr);
  assertEquals(new Set(kept.helper), new Set([startPriority()]));
  const lowest = await execPrinting(19, "--nice", "19");
  assertEquals(lowest.result.code, 0, lowest.result.stderr);
  assertEquals(new Set(lowest.helper), new Set([19]));
  assertEquals(lowest.build, [startPriority()]);
});

Deno.test("a nice value out of range is one line naming --nice, and exit 2 before the build runs", async () => {
  const { result, build } = await execPrinting(0, "--nice", "20");
  assertEquals(result.code, 2);
  assertEquals(build, [], "the build did not run");
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, result.stderr);
  assertIncludes(lines[0]!, "--nice");
  assertIncludes(lines[0]!, "must be at most 19");
});

Deno.test("a helper that falls behind the build (its watch overflowed) takes its priority back, or says why it cannot", async () => {
  const dir = await tempDir();
  // In this process: the helper's threads are the test's, and are put back as they were.
  const before = getPriority(0);
  try {
    const t = testContext({ cwd: dir, watchStore: () => new RescanningWatcher(100) });
    const code = await run([
      "exec",
      ...nixCopyArgs(dir),
      "--no-pull",
      "--",
      "sh",
      "-c",
      // Long enough for the helper to lower itself and for the first overflow to arrive.
      "sleep 0.6",
    ], t.ctx);
    assertEquals(code, 0, t.log());
    const log = t.log();
    const behind = "the build makes paths faster than the helper reads them";
    if (log.includes(`${behind}: the helper is back at the build's CPU priority`)) {
      assertEquals(getPriority(0), before, "back at the priority it had");
    } else {
      // An unprivileged process may not lower its nice value: one line that says what to do.
      assertIncludes(log, `${behind}, and the helper cannot take its CPU priority back`);
      assertIncludes(log, "--nice 0");
    }
    assertEquals(log.split(behind).length - 1, 1, "said once, however many overflows");
  } finally {
    try {
      restoreOwnPriority(before);
    } catch { /* unprivileged: the test process stays lowered */ }
    await Deno.remove(dir, { recursive: true });
  }
});
