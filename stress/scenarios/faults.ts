/**
 * Faults: each one injected into a real build of derivations (the attic
 * stand-in for the cache's faults, signals for the helper's, a tmpfs for the
 * disk's), then — where the design says so — the recovery a job's
 * after_script runs (`attic-ci push`), and the cache checked for every valid
 * output. A fault survived means: the build's status kept, one clear line,
 * nothing lost.
 *
 * @module
 */

import {
  atticWorld,
  DOUBLE_DIR,
  processGone,
  waitFor,
  watcherPid,
} from "../../tests/helpers/attic.ts";
import { nixCopyArgs } from "../../tests/helpers/cli.ts";
import { graphBuild, newTag, storePathsOf, tempDir } from "../../tests/helpers/nix.ts";
import { tmpfs } from "../../tests/helpers/tmpfs.ts";
import { missingFrom } from "../binary_cache.ts";
import { runHelper, startHelper } from "../helper_process.ts";
import type { FaultResult } from "../results.ts";

/** The build every fault hits: real derivations, several finishing at once. */
export interface FaultBuild {
  readonly width: number;
  readonly depth: number;
  /** Seconds each derivation takes (room to strike mid-build). */
  readonly sleep: string;
}

type Log = (line: string) => void;

/** Runs every fault; one result each. */
export async function runFaults(build: FaultBuild, log: Log): Promise<FaultResult[]> {
  const results: FaultResult[] = [];
  for (const fault of FAULTS) {
    log(`fault: ${fault.name}`);
    try {
      results.push(await fault.run(build));
    } catch (error) {
      results.push({
        fault: fault.name,
        expected: "",
        buildStatus: { expected: 0, actual: -1 },
        built: 0,
        lost: null,
        note: "",
        problem: `the scenario itself failed: ${error instanceof Error ? error.message : error}`,
      });
    }
  }
  return results;
}

interface Fault {
  readonly name: string;
  run(build: FaultBuild): Promise<FaultResult>;
}

function nixBuild(tag: string, build: FaultBuild): string[] {
  return [...graphBuild(tag, build), "--max-jobs", "4"];
}

/** Valid outputs of `tag` and how many of them `cache` lacks. */
async function account(cache: string, tag: string): Promise<{ built: number; lost: number }> {
  const { valid } = await storePathsOf(tag);
  return { built: valid.length, lost: (await missingFrom(cache, valid)).length };
}

function problems(list: [boolean, string][]): string | null {
  const broken = list.filter(([ok]) => !ok).map(([, what]) => what);
  return broken.length === 0 ? null : broken.join("; ");
}

function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /\berror:/.test(line));
}

/**
 * The full-disk build: 101 outputs, so the ledger needs more than the one
 * tmpfs page it already has when the disk fills (appends within it succeed).
 */
const DISK_BUILD: FaultBuild = { width: 10, depth: 10, sleep: "0.05" };

/**
 * The build a SIGTERM cuts short: long enough (101 outputs of 0.2 s, 4 at a
 * time: ~5 s) that the signal, sent after the first 5 outputs, always lands
 * mid-build, whatever the machine's speed.
 */
const SIGNAL_BUILD: FaultBuild = { width: 10, depth: 10, sleep: "0.2" };

const FAULTS: readonly Fault[] = [
  {
    name: "a push hangs (the first two never answer)",
    async run(build) {
      const world = await atticWorld();
      try {
        const tag = newTag("fault");
        const report = `${world.dir}/report.json`;
        const run = await runHelper([
          "exec",
          ...world.args("--push-timeout", "1", "--retry-delay", "0.1", "--report", report),
          "--",
          ...nixBuild(tag, build),
        ], {
          env: { ...world.env, ATTIC_DOUBLE_HANG_TIMES: "2" },
          cwd: world.dir,
          reportFile: report,
        });
        const { built, lost } = await account(world.cache, tag);
        const retries = run.report?.retries ?? 0;
        return {
          fault: this.name,
          expected: "timed out, retried, all pushed",
          buildStatus: { expected: 0, actual: run.code },
          built,
          lost,
          note: `${retries} retries`,
          problem: problems([[run.code === 0, `exit ${run.code}`], [retries >= 1, "no retry"]]),
        };
      } finally {
        await world.dispose();
      }
    },
  },
  {
    name: "the cache is down for the whole build",
    async run(build) {
      const world = await atticWorld();
      try {
        const tag = newTag("fault");
        const down = await runHelper(
          [
            "exec",
            ...world.args("--retries", "1", "--retry-delay", "0.1"),
            "--",
            ...nixBuild(tag, build),
          ],
          { env: { ...world.env, ATTIC_DOUBLE_EXIT: "1" }, cwd: world.dir },
        );
        const during = await account(world.cache, tag);
        const later = await runHelper(["push", ...world.args()], {
          env: world.env,
          cwd: world.dir,
        });
        const { built, lost } = await account(world.cache, tag);
        return {
          fault: this.name,
          expected: "build status kept; a later `push` uploads all",
          buildStatus: { expected: 0, actual: down.code },
          built,
          lost,
          note: `${during.lost} not pushed during the build; all recorded`,
          problem: problems([
            [down.code === 0, `exec exit ${down.code}`],
            [later.code === 0, `push exit ${later.code}`],
          ]),
        };
      } finally {
        await world.dispose();
      }
    },
  },
  {
    name: "no attic client can be had (deferred mode)",
    async run(build) {
      const world = await atticWorld({ onPath: false });
      try {
        const tag = newTag("fault");
        const exec = await runHelper(
          ["exec", ...world.args(), "--", ...nixBuild(tag, build)],
          { env: world.env, cwd: world.dir },
        );
        // The client is back (on PATH) for the after_script's push.
        const withClient = { ...world.env, PATH: `${DOUBLE_DIR}:${world.env.PATH}` };
        const later = await runHelper(["push", ...world.args()], {
          env: withClient,
          cwd: world.dir,
        });
        const { built, lost } = await account(world.cache, tag);
        return {
          fault: this.name,
          expected: "paths recorded; a later `push` with a client uploads all",
          buildStatus: { expected: 0, actual: exec.code },
          built,
          lost,
          note: exec.stderr.includes("deferred") ? "deferred mode said so" : "no deferred line",
          problem: problems([
            [exec.code === 0, `exec exit ${exec.code}`],
            [later.code === 0, `push exit ${later.code}`],
            [exec.stderr.includes("deferred"), "the log does not say deferred"],
          ]),
        };
      } finally {
        await world.dispose();
      }
    },
  },
  {
    name: "the detached watcher is SIGKILLed mid-build",
    async run(build) {
      const world = await atticWorld();
      try {
        const tag = newTag("fault");
        const start = await runHelper(["start", ...world.args()], {
          env: world.env,
          cwd: world.dir,
        });
        const pid = await watcherPid(world.state);
        if (start.code !== 0 || pid === null) throw new Error(`start failed:\n${start.stderr}`);
        const [program, ...args] = nixBuild(tag, build);
        const nix = new Deno.Command(program!, {
          args,
          cwd: world.dir,
          env: { NIX_CONFIG: "substituters =\n" },
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitFor(async () => (await storePathsOf(tag)).valid.length >= 5, "first outputs");
        Deno.kill(pid, "SIGKILL");
        const status = (await nix.status).code;
        await waitFor(() => processGone(pid), "the killed watcher to be gone");
        const push = await runHelper(["push", ...world.args()], { env: world.env, cwd: world.dir });
        const { built, lost } = await account(world.cache, tag);
        return {
          fault: this.name,
          expected: "the build goes on; `push` uploads all",
          buildStatus: { expected: 0, actual: status },
          built,
          lost,
          note: "killed after 5 outputs",
          problem: problems([[status === 0, `build exit ${status}`], [
            push.code === 0,
            `push exit ${push.code}`,
          ]]),
        };
      } finally {
        await world.dispose();
      }
    },
  },
  {
    name: "SIGTERM to exec mid-build (a cancelled job)",
    async run() {
      const dir = await tempDir("attic-ci-stress-fault-");
      try {
        const tag = newTag("fault");
        const report = `${dir}/report.json`;
        const exec = startHelper([
          "exec",
          ...nixCopyArgs(dir, { report: true }),
          "--drain-timeout",
          "30",
          "--",
          ...nixBuild(tag, SIGNAL_BUILD),
        ], { cwd: dir, reportFile: report });
        await waitFor(async () => (await storePathsOf(tag)).valid.length >= 5, "first outputs");
        exec.kill("SIGTERM");
        const run = await exec.done();
        const { built, lost } = await account(`${dir}/cache`, tag);
        const total = SIGNAL_BUILD.width * SIGNAL_BUILD.depth + 1;
        return {
          fault: this.name,
          expected: "the build stops; drained; exit 128+15",
          buildStatus: { expected: 143, actual: run.code },
          built,
          lost,
          note: `${built} of ${total} outputs built before the signal; drain ${
            run.report?.drainSeconds.toFixed(1) ?? "?"
          } s`,
          problem: problems([[run.code === 143, `exit ${run.code}`], [
            built < total,
            "the build was not cut short",
          ]]),
        };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
  {
    name: "the disk fills up while recording",
    async run() {
      // Room for the baseline (one line per store entry) and a little more.
      let entries = 0;
      for await (const _ of Deno.readDir("/nix/store")) entries++;
      const fs = await tmpfs(`${Math.ceil((entries * 100) / 2 ** 20) + 1}m`);
      const dir = await tempDir("attic-ci-stress-fault-");
      try {
        const tag = newTag("fault");
        const state = `${fs.dir}/state`;
        const exec = startHelper([
          "exec",
          ...nixCopyArgs(dir, { stateDir: state }),
          "--report",
          `${dir}/report.json`,
          "--",
          ...nixBuild(tag, DISK_BUILD),
        ], { cwd: dir, reportFile: `${dir}/report.json` });
        // The session is recorded and its baseline (listed while the build starts) written: what
        // fills the disk now is the pushes' record.
        for (const file of ["session.json", "baseline.txt"]) {
          await waitFor(
            () => Deno.stat(`${state}/${file}`).then(() => true, () => false),
            `the session's ${file}`,
          );
        }
        // Twice: a rewrite of the baseline already under way when the first fill ran (a name left
        // it after the listing) frees the old file's space as it renames the new one over it.
        for (const filler of ["filler", "filler-after-rewrites"]) {
          const fill = new Deno.Command("sh", {
            args: ["-c", `dd if=/dev/zero of=${fs.dir}/${filler} bs=4k 2>/dev/null; true`],
          });
          await fill.output();
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        const run = await exec.done();
        const { built, lost } = await account(`${dir}/cache`, tag);
        const warnings = run.stderr.split("\n").filter((line) => line.includes("cannot record"));
        return {
          fault: this.name,
          expected: "one warning; everything pushed",
          buildStatus: { expected: 0, actual: run.code },
          built,
          lost,
          note: `${run.report?.unrecorded ?? "?"} pushed paths could not be recorded`,
          problem: problems([[run.code === 0, `exit ${run.code}`], [
            warnings.length === 1,
            `${warnings.length} warnings`,
          ]]),
        };
      } finally {
        await fs.unmount();
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
  {
    name: "the state directory is read-only",
    async run(build) {
      const ro = await tmpfs("1m", ",ro");
      const dir = await tempDir("attic-ci-stress-fault-");
      try {
        const tag = newTag("fault");
        const args = nixCopyArgs(dir, { stateDir: `${ro.dir}/state` });
        const run = await runHelper(["exec", ...args, "--", ...nixBuild(tag, build)], { cwd: dir });
        const strict = await runHelper(["exec", ...args, "--strict", "--", "true"], { cwd: dir });
        const { built } = await account(`${dir}/cache`, tag);
        return {
          fault: this.name,
          expected: "one error line; the build runs uncached (--strict: exit 2)",
          buildStatus: { expected: 0, actual: run.code },
          built,
          lost: null,
          note: "uncached by design",
          problem: problems([
            [run.code === 0, `exit ${run.code}`],
            [errorLines(run.stderr).length === 1, `${errorLines(run.stderr).length} error lines`],
            [strict.code === 2, `--strict exit ${strict.code}`],
          ]),
        };
      } finally {
        await ro.unmount();
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
  {
    name: "the store directory is missing",
    async run() {
      const dir = await tempDir("attic-ci-stress-fault-");
      try {
        const missing = [...nixCopyArgs(dir), "--store-dir", "/nonexistent/nix/store"];
        const run = await runHelper(["exec", ...missing, "--", "sh", "-c", "exit 5"], { cwd: dir });
        const strict = await runHelper(["exec", ...missing, "--strict", "--", "true"], {
          cwd: dir,
        });
        return {
          fault: this.name,
          expected: "one error line; the build's own status (5)",
          buildStatus: { expected: 5, actual: run.code },
          built: 0,
          lost: null,
          note: "uncached by design",
          problem: problems([
            [run.code === 5, `exit ${run.code}`],
            [errorLines(run.stderr).length === 1, `${errorLines(run.stderr).length} error lines`],
            [strict.code === 2, `--strict exit ${strict.code}`],
          ]),
        };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
];
