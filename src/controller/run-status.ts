// The status a run should have, as a JSON merge patch of its status subresource.
// Pure: times come in as arguments. Merge patch replaces lists, so the whole
// conditions list is sent each time.
import { formatMicroTime, setStatusCondition, type Condition, type WorkflowRun } from '../api/index.ts';
import type { RunKey } from '../engine/index.ts';

export type Phase = 'Pending' | 'Queued' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';

export interface StatusChange {
  phase: Phase;
  reason: string;
  message: string;
  concurrencyKeys?: readonly RunKey[];
  queuedAt?: number;
  startTime?: number;
  completionTime?: number;
  jobName?: string;
}

function admittedCondition(change: StatusChange): Omit<Condition, 'lastTransitionTime'> | undefined {
  switch (change.phase) {
    case 'Pending':
    case 'Queued':
      return { type: 'Admitted', status: 'False', reason: change.reason, message: change.message };
    case 'Running':
      return { type: 'Admitted', status: 'True', reason: change.reason, message: change.message };
    default:
      return undefined;
  }
}

function finishedCondition(change: StatusChange): Omit<Condition, 'lastTransitionTime'> {
  const terminal = change.phase === 'Succeeded' || change.phase === 'Failed' || change.phase === 'Cancelled';
  return terminal
    ? { type: 'Finished', status: 'True', reason: change.reason, message: change.message }
    : { type: 'Finished', status: 'False', reason: change.reason, message: change.message };
}

/** The status patch for `change`, or undefined when the run already shows it. */
export function statusPatch(run: WorkflowRun, change: StatusChange, nowMicros: number): { status: Record<string, unknown> } | undefined {
  const current = run.status ?? {};
  const now = formatMicroTime(nowMicros);
  let conditions = current.conditions ?? [];
  const admitted = admittedCondition(change);
  if (admitted) conditions = setStatusCondition(conditions, { ...admitted, observedGeneration: run.metadata.generation }, now);
  conditions = setStatusCondition(conditions, { ...finishedCondition(change), observedGeneration: run.metadata.generation }, now);

  const status: Record<string, unknown> = {
    phase: change.phase,
    reason: change.reason,
    message: change.message,
    observedGeneration: run.metadata.generation,
    conditions,
  };
  if (change.concurrencyKeys) status['concurrencyKeys'] = change.concurrencyKeys.map((k) => ({ expression: k.expression, key: k.key }));
  if (change.queuedAt !== undefined) status['queuedAt'] = formatMicroTime(change.queuedAt);
  if (change.startTime !== undefined) status['startTime'] = formatMicroTime(change.startTime);
  if (change.completionTime !== undefined) status['completionTime'] = formatMicroTime(change.completionTime);
  if (change.jobName !== undefined) status['jobName'] = change.jobName;

  const unchanged =
    current.phase === change.phase &&
    current.reason === change.reason &&
    current.message === change.message &&
    (change.concurrencyKeys === undefined || JSON.stringify(current.concurrencyKeys) === JSON.stringify(status['concurrencyKeys']));
  return unchanged ? undefined : { status };
}
