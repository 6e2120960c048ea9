// The engine's record of one run, and of its place in each of its groups.
import type { Group } from './group.ts';
import { NO_SLOT } from './heap.ts';
import type { Priority, QueuedRun, RunKey, RunState } from './types.ts';
import type { WorkflowBook } from './workflow-book.ts';

/**
 * A run's place in one group: its slots in that group's queues, NO_SLOT where
 * it is not in one. Every queued run outlives many collections of the young
 * generation, and each object it is made of is copied and marked, so a run is
 * as few objects as can be: its memberships are a list, not an array, and the
 * first is the record itself; a run in one group is one record.
 */
export interface Membership {
  group: Group;
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
  memberships: Membership | undefined;
  group: Group | undefined;
  state: RunState;
  /** Its Workflow's book while the engine holds the run: every change of state would otherwise look it up by name. */
  book: WorkflowBook | undefined;
  /** The full group this queued run waits on, out of its other groups' ready queues (no head-of-line blocking). */
  parkedOn: Group | undefined;
  /** Its place among the queued runs with a schedule timeout, by deadline. */
  deadlineSlot: number;
  readonly id: string;
  /** hashOf(id) (run-index.ts). */
  readonly hash: number;
  parkedSlot: number;
  /** Its index in the book's runs; -1 while the engine does not hold it. */
  bookIndex: number;
  /** As the caller gave them, or the same keys as its one group holds them (Group.shared). */
  keys: readonly RunKey[];
  readonly priority: Priority;
  readonly queuedAt: number;
}

export function runRecord(run: QueuedRun, hash: number, state: RunState): RunRecord {
  return {
    memberships: undefined,
    group: undefined,
    next: undefined,
    readySlot: NO_SLOT,
    state,
    book: undefined,
    parkedOn: undefined,
    deadlineSlot: NO_SLOT,
    id: run.id,
    hash,
    worstSlot: NO_SLOT,
    bestSlot: NO_SLOT,
    parkedSlot: NO_SLOT,
    bookIndex: -1,
    keys: run.keys,
    priority: run.priority,
    queuedAt: run.queuedAt,
  };
}

export function membership(group: Group, next: Membership | undefined): Membership {
  return { group, readySlot: NO_SLOT, worstSlot: NO_SLOT, bestSlot: NO_SLOT, next };
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
  run.memberships = undefined;
  run.group = undefined;
  run.next = undefined;
}

export function membershipIn(run: RunRecord, group: Group): Membership {
  for (let m = run.memberships; m; m = m.next) if (m.group === group) return m;
  throw new Error(`run ${run.id} is not in group ${group.id}`);
}
