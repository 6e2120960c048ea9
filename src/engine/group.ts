// A group (§3): the runs of one Workflow whose entry's expression gave the same
// key. It holds both halves of the engine's view of the group: how many of its
// runs hold a slot (the admitted picture) and who waits (ready queue, contest,
// runs parked on it), plus its standing in the round robin. Its queued members
// not parked on another group are its ready queue, who goes at its next turn,
// in admission order (ready-queue.ts).
import { Contenders, contestOf } from './contest.ts';
import { NO_SLOT, type KeyedHeap } from './heap.ts';
import type { GroupName } from './ordering.ts';
import { ReadyQueue } from './ready-queue.ts';
import type { Membership, RunRecord } from './run-record.ts';
import type { RunKey, Strategy } from './types.ts';

/**
 * The pseudo-group's maxRuns: no limit. Not Infinity: a number field that ever
 * holds a fraction or Infinity keeps its value, in every group, in a number
 * object of its own, a cache miss more for a group read among 10,000.
 */
const UNLIMITED = 2 ** 30 - 1;

// The fields a turn or an arrival reads come first (after the ready queue's):
// among 10,000 groups the group is rarely in cache then, and they share fewer
// cache lines so.
export class Group extends ReadyQueue<RunRecord, Membership> implements GroupName {
  /** Members holding a slot: running, or cancelled with their Job not yet gone. */
  running = 0;
  maxRuns = UNLIMITED;
  /** The group's slot in the round robin while it has room and a ready run; NO_SLOT otherwise. */
  turnSlot = NO_SLOT;
  turnSeq = -1;
  /** Queued runs this group blocked while full, by a lower bound of their other groups' turn keys (pending.ts); none: undefined. */
  parked: KeyedHeap<RunRecord> | undefined;
  /** The group's slot among the groups with room again that hold parked runs; NO_SLOT otherwise. */
  reopenedSlot = NO_SLOT;
  contenders: Contenders | undefined;
  /** Among the engine's unsettled groups: its CANCEL_* rule is judged again in the next cycle. */
  unsettled = false;
  /**
   * Set in the constructor: a field that first holds a number keeps it in a
   * number object of its own, written in place at each turn, a cache miss for a
   * group among 10,000; one that first holds nothing refers to each new number.
   */
  turnTime: number;
  /** Runs in the group, in any state: the group is forgotten when none is left. */
  members = 0;
  /** '' (with key '') for the one pseudo-group of a Workflow without entries. */
  readonly expression: string;
  readonly key: string;
  /** hashOf(key) (hash-index.ts). */
  readonly hash: number;
  /** The keys of a run whose only key puts it in this group; made for the first such run. */
  private soleKeys: readonly RunKey[] | undefined;
  readonly workflow: string;
  /** The position of the Workflow entry that made the group; -1 for the pseudo-group of a Workflow without entries. */
  entry = -1;

  constructor(workflow: string, expression: string, key: string, hash: number) {
    super();
    this.turnTime = Infinity;
    this.workflow = workflow;
    this.expression = expression;
    this.key = key;
    this.hash = hash;
  }

  get id(): string {
    return this.expression === '' ? this.workflow : `${this.workflow} ${this.expression}=${JSON.stringify(this.key)}`;
  }

  /**
   * The group's own copy of `keys` if they are only the key that put the run
   * here: the caller's copies, one set per run, would otherwise live as long as
   * the run (run-record.ts).
   */
  shared(keys: readonly RunKey[]): readonly RunKey[] {
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only?.expression !== this.expression || only.key !== this.key) return keys;
    return (this.soleKeys ??= [{ expression: this.expression, key: this.key }]);
  }

  /** Only while the group is empty: its Workflow changed. */
  configure(entry: number, maxRuns: number, strategy: Strategy): void {
    this.entry = entry;
    this.maxRuns = maxRuns;
    const contest = contestOf(strategy);
    this.contenders = contest && new Contenders(contest);
  }

  /**
   * A queued run joined: a group that never admitted has waited since its
   * oldest one. Returns the turn time this lowered, if it did. A group that
   * admitted returns without reading its turn time: a number object of its
   * own, which among 10,000 groups is rarely in cache.
   */
  noteQueued(queuedAt: number): number | undefined {
    if (this.turnSeq >= 0) return undefined;
    const before = this.turnTime;
    if (queuedAt >= before) return undefined;
    this.turnTime = queuedAt;
    return before;
  }

  tookTurn(now: number, seq: number): void {
    this.turnTime = now;
    this.turnSeq = seq;
  }
}
