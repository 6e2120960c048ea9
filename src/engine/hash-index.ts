// The runs the engine holds by id, and each Workflow's groups by key: an
// open-addressing table keyed by a string that its values carry, with the
// string's hash.
//
// Why not a Map: with 100,000 runs, a lookup in a Map of strings walks a chain
// of entries scattered over a table of megabytes and compares the key with the
// string of each, a cache miss apiece; a run arriving misses on all of them,
// and every event looks a run up at least once. Here each slot is a hash of the
// key beside the value, in one array (linear probing, kept at most half full):
// a lookup reads one stretch of it, and a value only once its hash matches.
// Hashing a string here costs more than a Map, which keeps a string's hash in
// the string, so it is done once per call: each value keeps its key's (`hash`).
//
// And a Map whose entries come and go (groups are made and forgotten at every
// other event among 10,000 of them) now and then moves to a new table, and the
// old one keeps a link to it. Once the old table is in the old generation, the
// young-generation collector takes it, dead or not, for a root: the new table
// and everything it refers to survive, move to the old generation, and do the
// same for the next table. With the engine's Sets cleared at every call
// (engine.ts), that made bench:engine's events over 10,000 groups leave about
// 200 bytes each for a full collection to free at 1k queued runs, and 80 at
// 100k; now nearly nothing. A table that grows here is a new array, which
// nothing old refers to.

/** The hash of a free slot; no key hashes to it (hashOf). */
const FREE = 0;
const MIN_CAPACITY = 16;

export class HashIndex<T extends { readonly hash: number }> {
  /** slots[2i]: the hash of the key of the value in slots[2i + 1], or FREE (and undefined). */
  private slots: (number | T | undefined)[] = freeSlots(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  private readonly keyOf: (value: T) => string;

  /** `keyOf`: the value's key, whose hashOf is its `hash`. */
  constructor(keyOf: (value: T) => string) {
    this.keyOf = keyOf;
  }

  get size(): number {
    return this.count;
  }

  /** `hash`: hashOf(key), when the caller has it already. */
  get(key: string, hash = hashOf(key)): T | undefined {
    const { slots, mask } = this;
    for (let i = hash & mask; slots[2 * i] !== FREE; i = (i + 1) & mask) {
      if (slots[2 * i] !== hash) continue;
      const value = slots[2 * i + 1] as T;
      if (this.keyOf(value) === key) return value;
    }
    return undefined;
  }

  /** In no order. */
  *values(): IterableIterator<T> {
    for (let i = 1; i < this.slots.length; i += 2) {
      const value = this.slots[i];
      if (value !== undefined) yield value as T;
    }
  }

  /** Only for a value whose key is not in the index. */
  add(value: T): void {
    if (2 * (this.count + 1) > this.mask + 1) this.resize(2 * (this.mask + 1));
    this.place(value.hash, value);
    this.count += 1;
  }

  /** Whether the value was in the index (the same object, not one with the same key). */
  delete(value: T): boolean {
    const { slots, mask } = this;
    let i = value.hash & mask;
    while (slots[2 * i + 1] !== value) {
      if (slots[2 * i] === FREE) return false;
      i = (i + 1) & mask;
    }
    // Backward shift: every value after the gap whose probe began at or before it moves in, so no probe ends early.
    for (let j = (i + 1) & mask; slots[2 * j] !== FREE; j = (j + 1) & mask) {
      const hash = slots[2 * j] as number;
      if (((j - (hash & mask)) & mask) < ((j - i) & mask)) continue;
      slots[2 * i] = hash;
      slots[2 * i + 1] = slots[2 * j + 1];
      i = j;
    }
    slots[2 * i] = FREE;
    slots[2 * i + 1] = undefined;
    this.count -= 1;
    if (8 * this.count < this.mask + 1 && this.mask + 1 > MIN_CAPACITY) this.resize((this.mask + 1) / 2);
    return true;
  }

  private place(hash: number, value: T): void {
    const { slots, mask } = this;
    let i = hash & mask;
    while (slots[2 * i] !== FREE) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = value;
  }

  private resize(capacity: number): void {
    const old = this.slots;
    this.slots = freeSlots(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const value = old[i + 1];
      if (value !== undefined) this.place(old[i] as number, value as T);
    }
  }
}

function freeSlots<T>(capacity: number): (number | T | undefined)[] {
  // Pushed, not preallocated: an array made with holes stays slower to read even once they are filled.
  const slots: (number | T | undefined)[] = [];
  for (let i = 0; i < capacity; i++) slots.push(FREE, undefined);
  return slots;
}

/**
 * FNV-1a over the key's code units, then MurmurHash3's finaliser, so that keys
 * differing in their last characters spread over the whole table. 30 bits, so
 * that it is a small integer wherever V8 runs (no number object per slot); never FREE.
 */
export function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) & 0x3fffffff;
  return h === FREE ? 1 : h;
}
