// A group's ready queue: its queued runs in admission order (§3.1: higher
// priority first, then oldest, then id). Group extends it, so that its fields
// are the group's own.
//
// Why not a heap: a group can hold 10,000 queued runs, and taking the best one
// out of a heap that size sifts through ~7 levels, a few cache misses each; at
// 100,000 queued runs that was most of an admission. But runs nearly always
// arrive in admission order (same priority, queuedAt growing), so the queue is
// a list in that order, appended to at the back and taken from at the front,
// O(1) both. A run that would not go last (older than the last run, or of a
// higher priority: a failed admission, a parked run coming back, a Workflow
// change, mixed priorities) goes to a heap instead, at O(log n); the best run
// is the better of the two firsts, so the order stays exact.
//
// Why a list through the runs' own memberships (run-record.ts), not arrays of
// its own: among 10,000 groups a group is rarely in cache when its turn comes
// or a run arrives, and every object the queue is made of costs a cache miss
// then. Taking the first run reads the group and that run, which the admission
// reads anyway; appending reads the group and writes the last run. An arrival
// is placed without reading the last run in the common case: the queue keeps
// that run's priority, and the caller says whether the arrival is newer than
// every run ever queued.
import { KeyedHeap, NO_SLOT } from './heap.ts';
import { byId, type Ranked } from './ordering.ts';

/** The readySlot of a link in the in-order list; in the heap of late runs it is the heap's slot (>= 0). */
const IN_ORDER = -2;

/** What a ready queue links through: one run's place in the queue. */
export interface ReadyLink<T extends Ranked, L> {
  readonly run: T;
  /** NO_SLOT while not in the queue. */
  readySlot: number;
  readyNext: L | undefined;
  /** Stale while the link is first in the list (see readyHead). */
  readyPrev: L | undefined;
}

export class ReadyQueue<T extends Ranked, L extends ReadyLink<T, L>> {
  /**
   * The first link of the in-order list. Its readyPrev is never read, so it is
   * not cleared when the link before it leaves: that would write to the next
   * run, rarely in cache. It holds on to at most one gone run per group.
   */
  private readyHead: L | undefined = undefined;
  private readyTail: L | undefined = undefined;
  /** The priority of readyTail's run, a small integer kept here so that an arrival does not read that run. */
  private tailPriority = 0;
  /** Runs that arrived out of order, by priority (negated), queuedAt, then id; made for the first one. */
  private late: KeyedHeap<L> | undefined = undefined;

  get hasReady(): boolean {
    return this.readyHead !== undefined || (this.late !== undefined && this.late.size > 0);
  }

  /** The best run: the better of the list's first and the heap's. */
  firstReady(): T | undefined {
    const head = this.readyHead;
    const late = this.late;
    if (late === undefined || late.size === 0) return head?.run;
    const best = (late.peek() as L).run;
    if (head === undefined) return best;
    return goesBefore(-late.firstPrimary, late.firstSecondary, best, head.run) ? best : head.run;
  }

  /**
   * Queues the link's run. `newest`: its queuedAt is greater than that of every
   * run ever queued here (false is always safe, only slower).
   */
  addReady(link: L, newest: boolean): void {
    const run = link.run;
    const tail = this.readyTail;
    const priority = run.priority;
    // Ids are unique, so a run that does not go before the last goes after it.
    const last =
      tail === undefined ||
      priority < this.tailPriority ||
      (priority === this.tailPriority && (newest || !goesBefore(priority, run.queuedAt, run, tail.run)));
    if (!last) {
      this.late ??= new KeyedHeap<L>(byRunId);
      link.readySlot = this.late.push(link, -priority, run.queuedAt);
      return;
    }
    link.readySlot = IN_ORDER;
    link.readyPrev = tail;
    if (tail === undefined) this.readyHead = link;
    else tail.readyNext = link;
    this.readyTail = link;
    this.tailPriority = priority;
  }

  /** Only for a link in the queue. */
  removeReady(link: L): void {
    const slot = link.readySlot;
    link.readySlot = NO_SLOT;
    if (slot !== IN_ORDER) {
      (this.late as KeyedHeap<L>).remove(slot);
      return;
    }
    const next = link.readyNext;
    if (link === this.readyHead) {
      this.readyHead = next;
      if (next === undefined) this.readyTail = undefined;
    } else {
      const prev = link.readyPrev as L;
      prev.readyNext = next;
      if (next !== undefined) next.readyPrev = prev;
      else {
        this.readyTail = prev;
        this.tailPriority = prev.run.priority;
      }
    }
    link.readyNext = undefined;
    link.readyPrev = undefined;
  }
}

/** Whether a run with this priority and queuedAt goes before `other` (`run` only breaks the tie on queuedAt). */
function goesBefore(priority: number, queuedAt: number, run: Ranked, other: Ranked): boolean {
  if (priority !== other.priority) return priority > other.priority;
  if (queuedAt !== other.queuedAt) return queuedAt < other.queuedAt;
  return byId(run.id, other.id) < 0;
}

/** Equal priority and queuedAt: by id, in code-unit order (ordering.ts); ids are unique within a queue. */
function byRunId(a: ReadyLink<Ranked, unknown>, b: ReadyLink<Ranked, unknown>): number {
  return byId(a.run.id, b.run.id);
}
