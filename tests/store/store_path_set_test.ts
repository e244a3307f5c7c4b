/** StorePathSet: an exact set of store paths keyed by their 160-bit hash. */

import { StorePathSet } from "../../src/store/store_path_set.ts";
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

/** A random store-path name from a seeded generator (the test is the same every run). */
function names(count: number, seed = 1): string[] {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) >>> 16) % ALPHABET.length;
  return Array.from({ length: count }, (_, i) => {
    let hash = "";
    for (let c = 0; c < 32; c++) hash += ALPHABET[next()];
    return `${hash}-pkg-${i}`;
  });
}

Deno.test("behaves as a Set of paths: add, has, delete, size — through many resizes", () => {
  const all = names(20_000);
  const set = new StorePathSet();
  // Keyed as the set keys them: by the hash alone.
  const reference = new Set<string>();
  for (const name of all) {
    const hash = name.slice(0, 32);
    assertEquals(set.add(`/nix/store/${name}`), !reference.has(hash));
    reference.add(hash);
  }
  assertEquals(set.size, reference.size);
  for (const name of all.filter((_, i) => i % 3 === 0)) {
    assertEquals(set.delete(name), reference.delete(name.slice(0, 32)));
  }
  assertEquals(set.size, reference.size);
  for (const name of all) assertEquals(set.has(name), reference.has(name.slice(0, 32)), name);
  for (const name of names(2_000, 99)) assertEquals(set.has(name), false);
});

Deno.test("a path and its entry name are the same member; the name after the hash does not matter", () => {
  const [name] = names(1);
  const set = new StorePathSet([`/nix/store/${name}`]);
  assert(set.has(name!));
  assert(set.has(`/other/store/${name}`), "only the hash identifies a path in one store");
  assertEquals(set.add(name!), false);
  assertEquals(set.delete(`/nix/store/${name}`), true);
  assertEquals(set.delete(name!), false);
});

Deno.test("hashes that differ in any one character, the last bit of a word included, are different members", () => {
  const base = "0".repeat(32);
  const set = new StorePathSet([`${base}-a`]);
  for (let i = 0; i < 32; i++) {
    for (const c of "1z") {
      const other = `${base.slice(0, i)}${c}${base.slice(i + 1)}-a`;
      assertEquals(set.has(other), false, other);
    }
  }
});

Deno.test("deleting and re-adding many times keeps the table from filling with tombstones", () => {
  const set = new StorePathSet();
  const [a, b] = names(2, 7);
  for (let i = 0; i < 10_000; i++) {
    set.add(a!);
    set.add(b!);
    set.delete(a!);
  }
  assertEquals([set.size, set.has(a!), set.has(b!)], [1, false, true]);
});

Deno.test("something without a store hash is refused, not silently mixed in", () => {
  const set = new StorePathSet();
  assertThrows(() => set.add("/nix/store/short"), "not a store path");
  assertThrows(() => set.has(`/nix/store/${"e".repeat(32)}-x`), "not a store path");
});
