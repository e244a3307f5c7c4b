/**
 * The baseline is listed while the build starts: a name is in it only when
 * nothing says the session may have made it — no lock in the listing, no
 * event naming it or its lock, before or after the listing ended.
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
  const baseline = StoreBaseline.list("/nix/store", listing.parts, listing.parts.list);
  assertEquals(baseline.seconds, null, "not listed yet");
  listing.end(250);
  assertEquals([...await baseline.names()], [name(1, "old")]);
  assertEquals(baseline.seconds, 0.25);
});

Deno.test("StoreBaseline: a name an event mentions while the store is listed is not in it, nor after", async () => {
  const listing = controlledListing([name(1, "old"), name(2, "made-now"), name(3, "made-later")]);
  const baseline = StoreBaseline.list("/nix/store", listing.parts, listing.parts.list);
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
