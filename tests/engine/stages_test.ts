/**
 * The streaming engine's stages, each driven alone: the detector (store
 * events in, candidate paths out), the verifier (candidates in, valid paths
 * out, in bulk, with the real nix-store), and the recorder (after-push
 * bookkeeping into a real ledger).
 */

import { StoreBaseline } from "../../src/store/store_baseline.ts";
import { Detector } from "../../src/engine/detector.ts";
import { PathTimeline } from "../../src/engine/path_timeline.ts";
import { PushRecorder } from "../../src/engine/recorder.ts";
import { Verifier } from "../../src/engine/verifier.ts";
import { Ledger, LEDGER_HEADER } from "../../src/state/ledger.ts";
import { stateFiles } from "../../src/state/state_dir.ts";
import { PathFilter } from "../../src/store/path_filter.ts";
import { NixValidityChecker, type ValidityChecker } from "../../src/store/validity_checker.ts";
import { systemClock } from "../../src/system/clock.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { testSystem } from "../helpers/context.ts";
import { graphBuild, newTag, sh, storePathsOf, tempDir } from "../helpers/nix.ts";

const H = "0123456789abcdfghijklmnpqrsvwxyz";
const name = (n: number, suffix: string) => `${String(n).padStart(2, "0")}${H.slice(2)}-${suffix}`;

Deno.test("Detector: a removed lock names a candidate once; other removals, .drv and excluded paths are not candidates", async () => {
  const candidates: string[] = [];
  const skipped: string[] = [];
  const detector = new Detector({
    storeDir: "/nix/store",
    baseline: StoreBaseline.of([]),
    filter: new PathFilter({ exclude: [/-docs$/] }),
  }, {
    candidate: (path) => candidates.push(path),
    skipped: (reason) => skipped.push(reason),
    rescan: () => {},
    rescanFailed: (error) => {
      throw error;
    },
  });
  for (
    const removed of [
      `${name(1, "app")}.lock`,
      `${name(1, "app")}.lock`, // Nix reports a lock's removal more than once
      name(2, "lib"), // not a lock
      `${name(3, "app.drv")}.lock`,
      `${name(4, "app-docs")}.lock`,
      "gc.lock",
    ]
  ) await detector.handle({ kind: "removed", name: removed, at: 1 });
  assertEquals(candidates, [`/nix/store/${name(1, "app")}`]);
  assertEquals(skipped, ["derivation", "excluded"]);
  detector.forget(`/nix/store/${name(1, "app")}`);
  await detector.handle({ kind: "removed", name: `${name(1, "app")}.lock`, at: 2 });
  assertEquals(candidates.length, 2, "a forgotten path can be a candidate again");
});

Deno.test("Detector: a rescan diffs the store against the baseline and what it already saw", async () => {
  const store = await tempDir();
  try {
    for (const n of [name(1, "old"), name(2, "seen"), name(3, "new"), `${name(4, "busy")}.lock`]) {
      await Deno.writeTextFile(`${store}/${n}`, "");
    }
    const candidates: string[] = [];
    const reasons: string[] = [];
    const detector = new Detector({
      storeDir: store,
      baseline: StoreBaseline.of([name(1, "old")]),
      filter: new PathFilter(),
    }, {
      candidate: (path) => candidates.push(path),
      skipped: () => {},
      rescan: (reason) => reasons.push(reason),
      rescanFailed: (error) => {
        throw error;
      },
    });
    await detector.handle({ kind: "removed", name: `${name(2, "seen")}.lock`, at: 1 });
    await detector.handle({ kind: "rescan", reason: "the watch queue overflowed", at: 2 });
    assertEquals(candidates, [`${store}/${name(2, "seen")}`, `${store}/${name(3, "new")}`]);
    assertEquals(reasons, ["the watch queue overflowed"]);
  } finally {
    await Deno.remove(store, { recursive: true });
  }
});

Deno.test("Verifier: checks in bulk (what arrives during a check waits for the next); valid paths go on, invalid ones are reported", async () => {
  const dir = await tempDir();
  try {
    const tag = newTag();
    const build = await sh(
      "nix-build",
      graphBuild(tag, { depth: 2, failAt: "l1n0", sleep: "0" }).slice(1),
      {
        cwd: dir,
      },
    );
    assert(build.code !== 0, "the build should fail at l1n0");
    const { valid, invalid } = await storePathsOf(tag);
    assert(
      valid.length >= 6 && invalid.length >= 1,
      `${valid.length} valid, ${invalid.length} invalid`,
    );

    const real = new NixValidityChecker(testSystem());
    let checks = 0;
    const counting: ValidityChecker = {
      check: (paths, signal) => {
        checks++;
        return real.check(paths, signal);
      },
    };
    const seen = { valid: [] as string[], invalid: [] as string[] };
    const verifier = new Verifier(counting, {
      valid: (paths) => seen.valid.push(...paths),
      invalid: (paths) => seen.invalid.push(...paths),
      error: (error) => {
        throw error;
      },
    }, systemClock);
    for (const path of [...valid, ...invalid]) verifier.add(path);
    assert(verifier.pending > 0);
    await verifier.settled();
    assertEquals(seen.valid.sort(), valid);
    assertEquals(seen.invalid.sort(), invalid);
    assertEquals(verifier.pending, 0);
    assert(checks <= 2, `${checks} checks for ${valid.length + invalid.length} paths`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PushRecorder: pushed paths get their time, lose their failure, and reach the ledger once, in order", async () => {
  const dir = await tempDir();
  try {
    const files = stateFiles(dir);
    const ledger = await Ledger.begin(files, Promise.resolve(new Set()));
    const timeline = new PathTimeline();
    const errors: Error[] = [];
    const recorder = new PushRecorder({
      ledger,
      timeline,
      clock: { ...systemClock, now: () => 1234 },
      onRecordError: (error) => errors.push(error),
    }, "final");
    const a = `/nix/store/${name(1, "a")}`;
    const b = `/nix/store/${name(2, "b")}`;
    recorder.failed(a, "HTTP 503");
    assertEquals(recorder.pushed([a, b]), 2);
    await recorder.settled();
    assertEquals(recorder.pushed([a]), 0, "a path already in the ledger is not counted again");
    await recorder.settled();
    assertEquals(recorder.failures.size, 0);
    assertEquals(timeline.records().map((r) => [r.path, r.pushedAt, r.phase]), [
      [a, 1234, "final"],
      [b, 1234, "final"],
    ]);
    assertEquals(await Deno.readTextFile(files.ledger), `${LEDGER_HEADER}\n${a}\n${b}\n`);
    assertEquals((await Ledger.open(files)).size, 2);

    // A ledger that cannot be written is said, not thrown: the reconcile still finds the paths.
    await Deno.remove(files.ledger);
    await Deno.mkdir(files.ledger);
    recorder.pushed([`/nix/store/${name(3, "c")}`]);
    await recorder.settled();
    assertEquals(errors.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
