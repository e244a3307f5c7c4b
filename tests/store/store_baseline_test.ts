/**
 * The baseline is listed while the build starts: a name is in it only when
 * nothing says the session may have made it — no lock in the listing, no
 * event naming it or its lock, before or after the listing ended — and when
 * events were lost, no change of its entry since the watch opened.
 */

import { StoreBaseline } from "../../src/store/store_baseline.ts";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { tempDir } from "../helpers/nix.ts";

const H = "0123456789abcdfghijklmnpqrsvwxyz";
const name = (n: number, suffix: string) => `${String(n).padStart(2, "0")}${H.slice(2)}-${suffix}`;

/** A listing that ends when the test says so, and a clock the test moves. */
function controlledListing(names: readonly string[]) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => finish = resolve);
  let now = 1_000;
  return {
    parts: {
      list: async () => {
        await done;
        return new Set(names);
      },
      now: () => now,
    },
    end(afterMs: number) {
      now += afterMs;
      finish();
    },
  };
}

Deno.test("StoreBaseline: a listed name is in the baseline unless its lock was listed too", async () => {
  const listing = controlledListing([
    name(1, "old"),
    name(2, "building"),
    `${name(2, "building")}.lock`,
    `${name(3, "lock-only")}.lock`,
  ]);
  const baseline = StoreBaseline.list("/nix/store", listing.parts, listing.parts);
  assertEquals(baseline.seconds, null, "not listed yet");
  listing.end(250);
  assertEquals([...await baseline.names()], [name(1, "old")]);
  assertEquals(baseline.seconds, 0.25);
});

Deno.test("StoreBaseline: a name an event mentions while the store is listed is not in it, nor after", async () => {
  const listing = controlledListing([name(1, "old"), name(2, "made-now"), name(3, "made-later")]);
  const baseline = StoreBaseline.list("/nix/store", listing.parts, listing.parts);
  // The build made name(2) while the listing ran: its lock was created and removed.
  baseline.mention(`${name(2, "made-now")}.lock`);
  listing.end(10);
  const names = await baseline.names();
  assertEquals([...names], [name(1, "old"), name(3, "made-later")]);
  // An event that arrives after the listing ended (it was queued meanwhile) still counts.
  baseline.mention(name(3, "made-later"));
  assertEquals([...names], [name(1, "old")]);
});

Deno.test("StoreBaseline: a store that cannot be listed rejects when the names are asked for", async () => {
  const baseline = StoreBaseline.list("/nonexistent/attic-ci-store", { now: () => 0 });
  await assertRejects(() => baseline.names());
  assertEquals(baseline.seconds, null);
});

Deno.test("StoreBaseline: lists a real directory's store-path names, locks and their paths left out", async () => {
  const dir = await tempDir();
  try {
    for (const entry of [name(1, "a"), name(2, "b"), `${name(2, "b")}.lock`, "not-a-path"]) {
      await Deno.writeTextFile(`${dir}/${entry}`, "");
    }
    const baseline = StoreBaseline.list(dir, { now: () => 0 });
    assertEquals([...await baseline.names()], [name(1, "a")]);
    assert(baseline.seconds !== null && baseline.seconds >= 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StoreBaseline: when events were lost, names whose entries changed since the watch opened leave it", async () => {
  const dir = await tempDir();
  try {
    const old = name(1, "old");
    const made = name(2, "made");
    await Deno.writeTextFile(`${dir}/${old}`, "");
    await Deno.writeTextFile(`${dir}/${made}`, "");
    // Back-date `old`'s entry: its ctime cannot be set, so the watches open relative to it.
    const oldChanged = (await Deno.lstat(`${dir}/${old}`)).ctime!.getTime();
    // A watch that opened long after both entries were made keeps them, events lost or not.
    const later = StoreBaseline.list(dir, { now: () => oldChanged + 60_000 });
    later.eventsLost();
    assertEquals([...await later.names()].sort(), [old, made]);
    assertEquals(later.changes, 0);
    // A watch that opened before they were made, whose events were lost in an overflow: only
    // their entries tell, and both leave.
    const earlier = StoreBaseline.list(dir, { now: () => oldChanged - 60_000 });
    const listed = await earlier.names();
    assertEquals(listed.size, 2);
    let changes = 0;
    earlier.onChange(() => changes++);
    earlier.eventsLost();
    earlier.eventsLost(); // once is enough
    assertEquals([...await earlier.names()], []);
    assertEquals(listed.size, 0, "the same set, as the ledger holds it");
    assertEquals([changes, earlier.changes], [1, 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StoreBaseline: a name leaving after the listing is a change; one never listed is not", async () => {
  const listing = controlledListing([name(1, "old"), name(2, "late")]);
  const baseline = StoreBaseline.list("/nix/store", listing.parts, listing.parts);
  let changes = 0;
  baseline.onChange(() => changes++);
  baseline.mention(`${name(3, "early")}.lock`);
  listing.end(5);
  await baseline.names();
  baseline.mention(name(9, "never-listed"));
  assertEquals(changes, 0);
  baseline.mention(`${name(2, "late")}.lock`);
  assertEquals(changes, 1);
  assertEquals([...await baseline.names()], [name(1, "old")]);
});
