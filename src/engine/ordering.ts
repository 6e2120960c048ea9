// Every order the engine sorts by. Each is total (it ends on the run id or the
// group's name), so that every decision is the same whatever order events
// arrived in.

/** What orders of runs look at. */
export interface Ranked {
  readonly id: string;
  readonly priority: number;
  readonly queuedAt: number;
}

/** An order of runs: by priority, then queuedAt, then id, each ascending (1) or descending (-1). */
export interface RunOrder {
  readonly priority: 1 | -1;
  readonly queuedAt: 1 | -1;
  readonly id: 1 | -1;
}

/**
 * Admission within a group: higher priority first, then oldest, then id (§3.1).
 * A group's ready queue (ready-queue.ts) keeps this order by its own means, and
 * its test holds it to this definition.
 */
export const admissionOrder: RunOrder = { priority: -1, queuedAt: 1, id: 1 };

/** Kept first by CANCEL_IN_PROGRESS and CANCEL_QUEUED_EXCEPT_NEWEST: higher priority, then newest. */
export const newestFirst: RunOrder = { priority: -1, queuedAt: -1, id: -1 };

/** Kept first by CANCEL_NEWEST and CANCEL_QUEUED_EXCEPT_OLDEST: higher priority, then oldest. */
export const oldestFirst: RunOrder = admissionOrder;

export function reversed(order: RunOrder): RunOrder {
  return { priority: -order.priority as 1 | -1, queuedAt: -order.queuedAt as 1 | -1, id: -order.id as 1 | -1 };
}

export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first regardless of priority: the order a cycle reports its cancellations in. */
export function arrivalOrder(a: Ranked, b: Ranked): number {
  return a.queuedAt - b.queuedAt || byId(a.id, b.id);
}

/** What names a group. */
export interface GroupName {
  readonly workflow: string;
  readonly expression: string;
  readonly key: string;
}

/**
 * Round robin (§3.1): the group whose last admission is oldest goes first, by
 * turn time (the cycle's `now` when it last admitted, or if it never did its
 * oldest queued run's queuedAt), then that admission's sequence number (-1 if
 * none), then this: Workflow, expression, key.
 */
export function byGroupName(a: GroupName, b: GroupName): number {
  return byId(a.workflow, b.workflow) || byId(a.expression, b.expression) || byId(a.key, b.key);
}
