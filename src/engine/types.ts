// The engine's vocabulary: what the operator tells it (Workflow limits, runs) and
// what it answers (decisions). Times are microseconds since the epoch.

export type Strategy =
  | 'GROUP_ROUND_ROBIN'
  | 'CANCEL_IN_PROGRESS'
  | 'CANCEL_NEWEST'
  | 'CANCEL_QUEUED_EXCEPT_NEWEST'
  | 'CANCEL_QUEUED_EXCEPT_OLDEST';

export interface ConcurrencyEntry {
  expression: string;
  maxRuns: number;
  strategy: Strategy;
}

export interface WorkflowLimits {
  /** "namespace/name" */
  id: string;
  entries: readonly ConcurrencyEntry[];
  scheduleTimeoutMicros?: number;
}

export interface RunKey {
  expression: string;
  key: string;
}

export type Priority = 1 | 2 | 3;

export interface QueuedRun {
  /** "namespace/name" */
  id: string;
  /** The Workflow's id, "namespace/name". */
  workflow: string;
  keys: readonly RunKey[];
  priority: Priority;
  /** Microseconds since the epoch. */
  queuedAt: number;
}

export type Decision =
  | { type: 'admit'; run: string }
  | { type: 'cancel'; run: string; reason: 'CancelledInProgress' | 'CancelledQueuedExceptNewest'; replacedBy: string; running: boolean }
  | { type: 'cancel'; run: string; reason: 'CancelledQueuedExceptOldest'; running: false }
  | { type: 'reject'; run: string; reason: 'CancelledNewest' }
  | { type: 'timeout'; run: string; reason: 'ScheduleTimeout' };

/** queued: waits for a slot; running: holds its slots; cancelling: cancelled, but its Job still holds its slots. */
export type RunState = 'queued' | 'running' | 'cancelling';

export interface Tally {
  queued: number;
  running: number;
  groups: number;
}

export interface EngineStats extends Tally {
  perWorkflow: Map<string, Tally>;
}

/** The expression of the integer shorthand `concurrency: 5` (§1): one group for all runs. */
export const CONSTANT_EXPRESSION = "'constant'";

/** The entry the integer shorthand stands for. */
export function constantLimit(maxRuns: number): ConcurrencyEntry {
  return { expression: CONSTANT_EXPRESSION, maxRuns, strategy: 'GROUP_ROUND_ROBIN' };
}
