/**
 * A set of store paths that costs 40–85 bytes a path instead of ~250.
 *
 * A session remembers every path it has seen and pushed, so that a repeated
 * lock event, a rescan or the final reconcile never pushes one twice; in a
 * `watch` that runs for days those are the only memory that grows with the
 * number of paths. A path is identified by the 32-character hash its name
 * starts with (Nix's base-32 alphabet, 5 bits a character), so the set keeps
 * exactly those 160 bits, in typed arrays outside the garbage-collected heap,
 * with open addressing. Exact: no two keys are confused, unlike a Bloom filter.
 *
 * Hand-written because no maintained npm package offers a set of fixed-width
 * binary keys; the JavaScript `Set<string>` it replaces keeps a string object
 * and a table entry per path.
 *
 * @module
 */

import type { StorePath } from "./store_path.ts";

/** Nix's base-32 alphabet (no e, o, u, t). */
const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

const HASH_CHARS = 32;
/** 160 bits as five 32-bit words. */
const WORDS = 5;
const EMPTY = 0;
const FULL = 1;
const DELETED = 2;

/** A set of store paths or store entry names, keyed by their hash. */
export class StorePathSet {
  #keys: Uint32Array;
  #state: Uint8Array;
  #size = 0;
  /** Full and deleted slots: what probing walks over. */
  #used = 0;
  readonly #key = new Uint32Array(WORDS);

  /** @param paths what the set starts with */
  constructor(paths: Iterable<StorePath> = []) {
    this.#keys = new Uint32Array(16 * WORDS);
    this.#state = new Uint8Array(16);
    for (const path of paths) this.add(path);
  }

  /** How many paths are in the set. */
  get size(): number {
    return this.#size;
  }

  /** Whether `path` (a store path or an entry name) is in the set. */
  has(path: StorePath): boolean {
    this.#keyOf(path);
    return this.#find() >= 0;
  }

  /** Adds `path`; false when it was already there. */
  add(path: StorePath): boolean {
    this.#keyOf(path);
    if (this.#find() >= 0) return false;
    if ((this.#used + 1) * 2 > this.#state.length) this.#resize();
    this.#insert(this.#key);
    return true;
  }

  /** Removes `path`; false when it was not there. */
  delete(path: StorePath): boolean {
    this.#keyOf(path);
    const slot = this.#find();
    if (slot < 0) return false;
    this.#state[slot] = DELETED;
    this.#size--;
    return true;
  }

  /** Packs the hash of `path` into this.#key; throws for a name that has none. */
  #keyOf(path: StorePath): void {
    const start = path.lastIndexOf("/") + 1;
    if (path.length < start + HASH_CHARS) throw new RangeError(`not a store path: ${path}`);
    const key = this.#key;
    key.fill(0);
    for (let i = 0; i < HASH_CHARS; i++) {
      const code = path.charCodeAt(start + i);
      const digit = code < 128 ? DIGIT[code]! : -1;
      if (digit < 0) throw new RangeError(`not a store path: ${path}`);
      // Bit position i*5 .. i*5+4 across the five words.
      const bit = i * 5;
      const word = bit >>> 5;
      const shift = bit & 31;
      key[word]! |= (digit << shift) >>> 0;
      if (shift > 27) key[word + 1]! |= digit >>> (32 - shift);
    }
  }

  /** The slot holding this.#key, or -1. */
  #find(): number {
    const mask = this.#state.length - 1;
    const key = this.#key;
    for (let slot = key[0]! & mask;; slot = (slot + 1) & mask) {
      const state = this.#state[slot]!;
      if (state === EMPTY) return -1;
      if (state === FULL && this.#equals(slot, key)) return slot;
    }
  }

  #equals(slot: number, key: Uint32Array): boolean {
    const at = slot * WORDS;
    for (let w = 0; w < WORDS; w++) if (this.#keys[at + w] !== key[w]) return false;
    return true;
  }

  #insert(key: Uint32Array): void {
    const mask = this.#state.length - 1;
    let slot = key[0]! & mask;
    while (this.#state[slot] === FULL) slot = (slot + 1) & mask;
    if (this.#state[slot] === EMPTY) this.#used++;
    this.#state[slot] = FULL;
    this.#keys.set(key, slot * WORDS);
    this.#size++;
  }

  /** Rehashes into a table with room: twice the size, or the same when deletions filled it. */
  #resize(): void {
    const oldKeys = this.#keys;
    const oldState = this.#state;
    const capacity = (this.#size + 1) * 4 > oldState.length ? oldState.length * 2 : oldState.length;
    this.#keys = new Uint32Array(capacity * WORDS);
    this.#state = new Uint8Array(capacity);
    this.#size = 0;
    this.#used = 0;
    for (let slot = 0; slot < oldState.length; slot++) {
      if (oldState[slot] === FULL) this.#insert(oldKeys.subarray(slot * WORDS, (slot + 1) * WORDS));
    }
  }
}
