// The engine's record of one run, and of its place in each of its groups.
import type { Group } from './group.ts';
import { NO_SLOT } from './heap.ts';
import type { Priority, QueuedRun, RunKey, RunState } from './types.ts';
import type { WorkflowBook } from './workflow-book.ts';

/** A run's place in one group: its slots in that group's queues, NO_SLOT where it is not in one. */
export interface Membership {
  readonly group: Group;
  /** The position of the Workflow entry that made the group; -1 for a Workflow without entries. */
  readonly entry: number;
  /** In the group's ready queue: queued, and not parked on another group (a run parked on this group stays in it). */
  readySlot: number;
  /** In the group's contest (CANCEL_* strategies), worst first ... */
  worstSlot: number;
  /** ... and best first, when the contest names the run that replaced a cancelled one. */
  bestSlot: number;
}

export interface RunRecord {
  readonly id: string;
  readonly workflow: string;
  readonly keys: readonly RunKey[];
  readonly priority: Priority;
  readonly queuedAt: number;
  state: RunState;
  /** Its Workflow's book while the engine holds the run: every change of state would otherwise look it up by name. */
  book: WorkflowBook | undefined;
  /** Its index in the book's runs; -1 while the engine does not hold it. */
  bookIndex: number;
  /** One per group the run counts in, in the order of its Workflow's entries. */
  memberships: readonly Membership[];
  /** The full group this queued run waits on, out of its other groups' ready queues (no head-of-line blocking). */
  parkedOn: Group | undefined;
  parkedSlot: number;
  /** When a queued run times out (its Workflow's scheduleTimeout); Infinity if never. */
  deadlineAt: number;
  deadlineSlot: number;
}

export const noMemberships: readonly Membership[] = [];

export function runRecord(run: QueuedRun, state: RunState): RunRecord {
  return {
    id: run.id,
    workflow: run.workflow,
    keys: run.keys,
    priority: run.priority,
    queuedAt: run.queuedAt,
    state,
    book: undefined,
    bookIndex: -1,
    memberships: noMemberships,
    parkedOn: undefined,
    parkedSlot: NO_SLOT,
    deadlineAt: Infinity,
    deadlineSlot: NO_SLOT,
  };
}

export function membership(group: Group, entry: number): Membership {
  return { group, entry, readySlot: NO_SLOT, worstSlot: NO_SLOT, bestSlot: NO_SLOT };
}

export function membershipIn(run: RunRecord, group: Group): Membership {
  for (const m of run.memberships) if (m.group === group) return m;
  throw new Error(`run ${run.id} is not in group ${group.id}`);
}
