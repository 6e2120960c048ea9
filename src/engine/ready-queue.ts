// A group's ready queue: its queued runs in admission order (§3.1: higher
// priority first, then oldest, then id), with the interface of a heap (add
// returns a slot, remove takes it).
//
// Why not a heap: a group can hold 10,000 queued runs, and taking the best one
// out of a heap that size sifts through ~7 levels, a few cache misses each; at
// 100,000 queued runs that was most of an admission. But runs nearly always
// arrive in admission order (same priority, queuedAt growing), so the queue is
// an array in that order, appended to at the back and taken from at the front,
// O(1) both. A run that would not go last (older than the newest run, or of a
// higher priority: a failed admission, a parked run coming back, a Workflow
// change, mixed priorities) goes to a heap instead, at O(log n) as before; the
// best run is the better of the two firsts, so the order stays exact.
//
// A run leaving from the middle of the array (removed, cancelled, timed out,
// parked) leaves a hole: holes at either end are dropped at once, the others
// when they outnumber the runs, so the array costs O(1) amortised per run.
import { KeyedHeap } from './heap.ts';
import { byId, type Ranked } from './ordering.ts';

/** Squeezing holes out costs a pass over the array: only once they are many and outnumber the runs. */
const MIN_HOLES_TO_SQUEEZE = 32;
/**
 * The front the array gave up is given back once it is half the array (the runs
 * moved are fewer than the runs taken since, so O(1) amortised), and this long.
 * Soon, as a group whose queue never runs dry would otherwise keep its whole
 * history of holes.
 */
const MIN_FRONT_TO_DROP = 16;
/** keys[STRIDE i ...]: the priority, queuedAt and slot of runs[i]. */
const STRIDE = 3;
const NONE = -1;

export class ReadyQueue<T extends Ranked> {
  /** In admission order from `head` on; undefined is a hole (never at the head or the back). runs[i] is at position base + i. */
  private readonly runs: (T | undefined)[] = [];
  /**
   * Each run's ordering keys and slot, beside the runs: an arrival is placed
   * without reading the newest run itself, which in one of 10,000 groups is
   * rarely in cache.
   */
  private readonly keys: number[] = [];
  private head = 0;
  private base = 0;
  /** Holes between `head` and the back. */
  private holes = 0;
  /** Runs that arrived out of order, by priority (negated), queuedAt, then id; made for the first one. */
  private late: KeyedHeap<T> | undefined;
  /**
   * Where each slot's run is: 2 x its position in the array, or 2 x its slot in
   * `late` + 1; a free slot holds -1 - the next free slot (NONE ends the list). One array
   * for both, as a queue of a few runs in one of 10,000 groups pays a cache miss
   * for every array it touches.
   */
  private readonly places: number[] = [];
  private firstFree = NONE;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The best run: the better of the array's first and the heap's. */
  peek(): T | undefined {
    const inOrder = this.head < this.runs.length ? this.runs[this.head] : undefined;
    const late = this.late?.peek();
    if (!late || !inOrder) return late ?? inOrder;
    const heap = this.late as KeyedHeap<T>;
    return this.goesBefore(-heap.firstPrimary, heap.firstSecondary, late, this.head) ? late : inOrder;
  }

  /** Queues the run; returns the slot to remove it with. */
  add(run: T): number {
    let slot = this.firstFree;
    if (slot === NONE) slot = this.places.length;
    else this.firstFree = -1 - (this.places[slot] as number);
    const last = this.runs.length - 1;
    // Ids are unique, so a run that does not go before the newest goes after it.
    if (last < this.head || !this.goesBefore(run.priority, run.queuedAt, run, last)) {
      this.places[slot] = 2 * (this.base + this.runs.length);
      this.runs.push(run);
      this.keys.push(run.priority, run.queuedAt, slot);
    } else {
      this.late ??= new KeyedHeap<T>(byRunId);
      this.places[slot] = 2 * this.late.push(run, -run.priority, run.queuedAt) + 1;
    }
    this.count += 1;
    return slot;
  }

  remove(slot: number): void {
    const place = this.places[slot] as number;
    this.places[slot] = -1 - this.firstFree;
    this.firstFree = slot;
    this.count -= 1;
    if (place % 2 === 1) {
      (this.late as KeyedHeap<T>).remove((place - 1) / 2);
      return;
    }
    const i = place / 2 - this.base;
    this.runs[i] = undefined;
    if (i === this.runs.length - 1) {
      // At the back: drop it and the holes before it, so the back is always a run.
      this.dropLast();
      while (this.runs.length > this.head && this.runs[this.runs.length - 1] === undefined) {
        this.dropLast();
        this.holes -= 1;
      }
    } else if (i === this.head) {
      this.head += 1;
      while (this.runs[this.head] === undefined) {
        this.head += 1;
        this.holes -= 1;
      }
    } else {
      this.holes += 1;
    }
    this.tidy();
  }

  /** Whether a run with these keys goes before the run at index i of the array. */
  private goesBefore(priority: number, queuedAt: number, run: T, i: number): boolean {
    const p = this.keys[STRIDE * i] as number;
    if (priority !== p) return priority > p;
    const q = this.keys[STRIDE * i + 1] as number;
    if (queuedAt !== q) return queuedAt < q;
    return byRunId(run, this.runs[i] as T) < 0;
  }

  private dropLast(): void {
    this.runs.pop();
    this.keys.length -= STRIDE;
  }

  /** Gives back the front taken from the array, and squeezes out holes once they outnumber the runs. */
  private tidy(): void {
    const length = this.runs.length;
    if (this.head === length) {
      this.base += length;
      this.runs.length = 0;
      this.keys.length = 0;
      this.head = 0;
      return;
    }
    const squeeze = this.holes >= MIN_HOLES_TO_SQUEEZE && this.holes > length - this.head - this.holes;
    if (!squeeze && (this.head < MIN_FRONT_TO_DROP || 2 * this.head < length)) return;
    // Rewrites the array from its head, without holes; every run moved gets its new place.
    const { runs, keys } = this;
    let to = 0;
    for (let from = this.head; from < length; from++) {
      const run = runs[from];
      if (run === undefined) continue;
      const slot = keys[STRIDE * from + 2] as number;
      runs[to] = run;
      keys[STRIDE * to] = keys[STRIDE * from] as number;
      keys[STRIDE * to + 1] = keys[STRIDE * from + 1] as number;
      keys[STRIDE * to + 2] = slot;
      this.places[slot] = 2 * (this.base + this.head + to);
      to += 1;
    }
    this.base += this.head;
    runs.length = to;
    keys.length = STRIDE * to;
    this.head = 0;
    this.holes = 0;
  }
}

/** Equal priority and queuedAt: by id, in code-unit order (ordering.ts); ids are unique within a queue. */
function byRunId(a: Ranked, b: Ranked): number {
  return byId(a.id, b.id);
}
