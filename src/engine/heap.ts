// A 4-ary min-heap ordered by two numbers, then a tie-break, with the numbers
// kept in one array beside the values. Every queue of the engine is one, but a
// group's ready queue uses one only for runs that arrive out of order
// (ready-queue.ts). With 100,000 runs spread over a large heap, following a
// pointer to a value at every level of a sift would cost more than the rest of
// a decision, while contiguous keys cost a few cache lines; and a queue that is
// touched rarely (the round robin picks the group that waited longest) costs a
// miss per object it is made of, so it is made of few. Values are read only to
// break exact ties. push() returns a slot number; the holder keeps it to remove
// the value or re-rank it in O(log n) without a search.
const ARITY = 4;
/** keys[3i], keys[3i+1]: the primary and secondary key of the value at heap index i; keys[3i+2]: its slot. */
const STRIDE = 3;

export const NO_SLOT = -1;

export class KeyedHeap<T> {
  private readonly values: T[] = [];
  private readonly keys: number[] = [];
  /** The heap index of the value holding each slot; a free slot holds -2 - the next free slot (-1: none). */
  private readonly positions: number[] = [];
  private firstFree = NO_SLOT;
  private readonly tieBreak: (a: T, b: T) => number;

  constructor(tieBreak: (a: T, b: T) => number) {
    this.tieBreak = tieBreak;
  }

  get size(): number {
    return this.values.length;
  }

  peek(): T | undefined {
    return this.values[0];
  }

  /** The first value's primary key (Infinity when empty). */
  get firstPrimary(): number {
    return this.values.length > 0 ? (this.keys[0] as number) : Infinity;
  }

  /** The first value's secondary key (Infinity when empty). */
  get firstSecondary(): number {
    return this.values.length > 0 ? (this.keys[1] as number) : Infinity;
  }

  push(value: T, primary: number, secondary: number): number {
    let slot = this.firstFree;
    if (slot === NO_SLOT) {
      slot = this.positions.length;
      this.positions.push(0);
    } else {
      this.firstFree = -2 - (this.positions[slot] as number);
    }
    const index = this.values.length;
    this.values.push(value);
    this.keys.push(primary, secondary, slot);
    this.siftUp(index, value, primary, secondary, slot);
    return slot;
  }

  remove(slot: number): void {
    const index = this.positions[slot] as number;
    this.positions[slot] = -2 - this.firstFree;
    this.firstFree = slot;
    const value = this.values.pop() as T;
    const lastSlot = this.keys.pop() as number;
    const secondary = this.keys.pop() as number;
    const primary = this.keys.pop() as number;
    if (index === this.values.length) return;
    if (!this.siftUp(index, value, primary, secondary, lastSlot)) this.siftDown(index, value, primary, secondary, lastSlot);
  }

  /** Re-ranks the value held under `slot`. */
  update(slot: number, primary: number, secondary: number): void {
    const index = this.positions[slot] as number;
    const value = this.values[index] as T;
    if (!this.siftUp(index, value, primary, secondary, slot)) this.siftDown(index, value, primary, secondary, slot);
  }

  /** Moves the value towards the root from the hole at `start`, and places it; returns whether it moved. */
  private siftUp(start: number, value: T, primary: number, secondary: number, slot: number): boolean {
    let index = start;
    while (index > 0) {
      const parent = ((index - 1) / ARITY) | 0;
      if (!this.goesBefore(value, primary, secondary, parent)) break;
      this.move(parent, index);
      index = parent;
    }
    this.place(index, value, primary, secondary, slot);
    return index !== start;
  }

  private siftDown(start: number, value: T, primary: number, secondary: number, slot: number): void {
    const size = this.values.length;
    let index = start;
    for (;;) {
      const first = ARITY * index + 1;
      if (first >= size) break;
      const end = Math.min(first + ARITY, size);
      let best = first;
      for (let child = first + 1; child < end; child++) if (this.isBefore(child, best)) best = child;
      if (this.goesBefore(value, primary, secondary, best)) break;
      this.move(best, index);
      index = best;
    }
    this.place(index, value, primary, secondary, slot);
  }

  /** Whether a value with these keys goes before the value at heap index `j`. */
  private goesBefore(value: T, primary: number, secondary: number, j: number): boolean {
    const p = this.keys[STRIDE * j] as number;
    if (primary !== p) return primary < p;
    const s = this.keys[STRIDE * j + 1] as number;
    if (secondary !== s) return secondary < s;
    return this.tieBreak(value, this.values[j] as T) < 0;
  }

  /** Whether the value at heap index `i` goes before the one at `j`. */
  private isBefore(i: number, j: number): boolean {
    return this.goesBefore(this.values[i] as T, this.keys[STRIDE * i] as number, this.keys[STRIDE * i + 1] as number, j);
  }

  private move(from: number, to: number): void {
    const keys = this.keys;
    const slot = keys[STRIDE * from + 2] as number;
    this.values[to] = this.values[from] as T;
    keys[STRIDE * to] = keys[STRIDE * from] as number;
    keys[STRIDE * to + 1] = keys[STRIDE * from + 1] as number;
    keys[STRIDE * to + 2] = slot;
    this.positions[slot] = to;
  }

  private place(index: number, value: T, primary: number, secondary: number, slot: number): void {
    this.values[index] = value;
    this.keys[STRIDE * index] = primary;
    this.keys[STRIDE * index + 1] = secondary;
    this.keys[STRIDE * index + 2] = slot;
    this.positions[slot] = index;
  }
}
