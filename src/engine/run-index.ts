// The runs the engine holds, by id.
//
// Why not a Map: with 100,000 runs, a lookup in a Map of strings walks a chain
// of entries scattered over a table of megabytes and compares the key with the
// string of each, a cache miss apiece; a run arriving misses on all of them,
// and every event looks a run up at least once. Here each slot is a hash of the
// id beside the run, in one array (linear probing, kept at most half full): a
// lookup reads one stretch of it, and a run only once its hash matches. Hashing
// an id here costs more than a Map, which keeps a string's hash in the string,
// so it is done once per call: each run keeps its id's (RunRecord.hash).

/** The hash of a free slot; no id hashes to it (hashOf). */
const FREE = 0;
const MIN_CAPACITY = 16;

export class RunIndex<T extends { readonly id: string; readonly hash: number }> {
  /** slots[2i]: the hash of the id of the run in slots[2i + 1], or FREE (and undefined). */
  private slots: (number | T | undefined)[] = freeSlots(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private count = 0;

  /** `hash`: hashOf(id), when the caller has it already. */
  get(id: string, hash = hashOf(id)): T | undefined {
    const { slots, mask } = this;
    for (let i = hash & mask; slots[2 * i] !== FREE; i = (i + 1) & mask) {
      if (slots[2 * i] !== hash) continue;
      const run = slots[2 * i + 1] as T;
      if (run.id === id) return run;
    }
    return undefined;
  }

  /** Only for a run whose id is not in the index. */
  add(run: T): void {
    if (2 * (this.count + 1) > this.mask + 1) this.resize(2 * (this.mask + 1));
    this.place(run.hash, run);
    this.count += 1;
  }

  /** Only for a run in the index. */
  delete(run: T): void {
    const { slots, mask } = this;
    let i = run.hash & mask;
    while (slots[2 * i + 1] !== run) i = (i + 1) & mask;
    // Backward shift: every run after the gap whose probe began at or before it moves in, so no probe ends early.
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
  }

  private place(hash: number, run: T): void {
    const { slots, mask } = this;
    let i = hash & mask;
    while (slots[2 * i] !== FREE) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = run;
  }

  private resize(capacity: number): void {
    const old = this.slots;
    this.slots = freeSlots(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const run = old[i + 1];
      if (run !== undefined) this.place(old[i] as number, run as T);
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
 * FNV-1a over the id's code units, then MurmurHash3's finaliser, so that ids
 * differing in their last characters spread over the whole table. 30 bits, so
 * that it is a small integer wherever V8 runs (no number object per slot); never FREE.
 */
export function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) & 0x3fffffff;
  return h === FREE ? 1 : h;
}
