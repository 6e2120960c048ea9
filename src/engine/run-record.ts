// The engine's record of one run, and of its place in each of its groups.
import type { Group } from './group.ts';
import { NO_SLOT } from './heap.ts';
import type { ReadyLink } from './ready-queue.ts';
import type { Priority, QueuedRun, RunKey, RunState } from './types.ts';
import type { WorkflowBook } from './workflow-book.ts';

/**
 * A run's place in one group: its slots in that group's queues, NO_SLOT where
 * it is not in one, and its links in the group's ready queue, a list through
 * the memberships (ready-queue.ts). Every queued run outlives many collections
 * of the young generation, and each object it is made of is copied and marked,
 * so a run is as few objects as can be: its memberships are a list, not an
 * array, and the first is the record itself; a run in one group is one record.
 */
export interface Membership extends ReadyLink<RunRecord, Membership> {
  group: Group;
  /** The run whose membership this is: the record itself for its first. */
  readonly run: RunRecord;
  /** In the group's ready queue: queued, and not parked on another group (a run parked on this group stays in it). */
  readySlot: number;
  /** In the group's contest (CANCEL_* strategies), worst first ... */
  worstSlot: number;
  /** ... and best first, when the contest names the run that replaced a cancelled one. */
  bestSlot: number;
  /** Its membership in its group of a later entry of the Workflow, if any. */
  next: Membership | undefined;
}

/**
 * Its first membership's fields are the record's own; group is undefined while
 * the run is in no group. The fields an admission reads come first: a run is
 * admitted long after it last was touched, and they then share a cache line or two.
 */
export interface RunRecord extends Omit<Membership, 'group'> {
  /** The first of its memberships (the record itself), one per group the run counts in, in the order of its Workflow's entries; undefined: in no group. */
  readonly memberships: Membership | undefined;
  group: Group | undefined;
  state: RunState;
  /** Its Workflow's book while the engine holds the run: every change of state would otherwise look it up by name. */
  book: WorkflowBook | undefined;
  /** The full group this queued run waits on, out of its other groups' ready queues (no head-of-line blocking). */
  parkedOn: Group | undefined;
  /** Its place among the queued runs with a schedule timeout, by deadline. */
  deadlineSlot: number;
  readonly id: string;
  /** hashOf(id) (hash-index.ts). */
  readonly hash: number;
  parkedSlot: number;
  /** Its index in the book's runs; -1 while the engine does not hold it. */
  bookIndex: number;
  /** As the caller gave them, or the same keys as its one group holds them (Group.shared). */
  keys: readonly RunKey[];
  readonly priority: Priority;
  readonly queuedAt: number;
}

/**
 * memberships and run follow from the other fields, so they are getters, not
 * fields: the record is copied and marked by the collections it outlives and
 * read at its admission, and every field makes it larger.
 */
class RunRecordObject implements RunRecord {
  group: Group | undefined = undefined;
  next: Membership | undefined = undefined;
  readySlot = NO_SLOT;
  readyNext: Membership | undefined = undefined;
  readyPrev: Membership | undefined = undefined;
  state: RunState = 'queued';
  book: WorkflowBook | undefined = undefined;
  parkedOn: Group | undefined = undefined;
  deadlineSlot = NO_SLOT;
  id = '';
  hash = 0;
  worstSlot = NO_SLOT;
  bestSlot = NO_SLOT;
  parkedSlot = NO_SLOT;
  bookIndex = -1;
  keys: readonly RunKey[] = noKeys;
  priority: Priority = 1;
  queuedAt = 0;

  constructor(run: QueuedRun, hash: number, state: RunState) {
    this.renew(run, hash, state);
  }

  /** Takes the run's own fields: on a new record, or on one that detach left as new (RunRecords). */
  renew(run: QueuedRun, hash: number, state: RunState): this {
    this.state = state;
    this.id = run.id;
    this.hash = hash;
    this.keys = run.keys;
    this.priority = run.priority;
    this.queuedAt = run.queuedAt;
    return this;
  }

  /** The record itself while it is in a group (firstMembership), as its first membership. */
  get memberships(): Membership | undefined {
    return this.group === undefined ? undefined : (this as Membership);
  }

  /** The record is its first membership, so it is that membership's run. */
  get run(): RunRecord {
    return this;
  }
}

const noKeys: readonly RunKey[] = [];

/** Spare records kept at most: enough for the Jobs that finish between two arrivals in a burst, and little memory (about 200 bytes each). */
const SPARE_RECORDS = 1024;

/**
 * Makes run records, reusing those of runs the engine let go.
 *
 * Why: a queued run outlives several collections of the young generation, and
 * each copies it. With 100,000 runs queued nearly every arrival is copied twice
 * before it settles in the old generation, about a tenth of an event's cost
 * (bench:engine). A reused record is in the old generation already, and in
 * cache: the Job that finished just before the arrival freed it.
 */
export class RunRecords {
  private readonly spare: RunRecordObject[] = [];

  make(run: QueuedRun, hash: number, state: RunState): RunRecord {
    return this.spare.pop()?.renew(run, hash, state) ?? new RunRecordObject(run, hash, state);
  }

  /**
   * Only for a record that detach left as new (every slot NO_SLOT, every link
   * undefined) and that the engine no longer refers to. The back link of the
   * first run of a ready queue may still point at it: that link is never read
   * (ready-queue.ts).
   */
  reuse(record: RunRecord): void {
    if (this.spare.length < SPARE_RECORDS) this.spare.push(record as RunRecordObject);
  }
}

export function membership(run: RunRecord, group: Group, next: Membership | undefined): Membership {
  return { group, run, readySlot: NO_SLOT, readyNext: undefined, readyPrev: undefined, worstSlot: NO_SLOT, bestSlot: NO_SLOT, next };
}

/** The run's first membership: the record itself, with the group set. */
export function firstMembership(run: RunRecord, group: Group, next: Membership | undefined): Membership {
  run.group = group;
  run.readySlot = NO_SLOT;
  run.worstSlot = NO_SLOT;
  run.bestSlot = NO_SLOT;
  run.next = next;
  return run as Membership;
}

/** The run is in no group. */
export function leaveGroups(run: RunRecord): void {
  run.group = undefined;
  run.next = undefined;
}

export function membershipIn(run: RunRecord, group: Group): Membership {
  for (let m = run.memberships; m; m = m.next) if (m.group === group) return m;
  throw new Error(`run ${run.id} is not in group ${group.id}`);
}
