// Every exact string sluice's API is made of, in one place: the group and kinds,
// phases, strategies, reasons and condition types (SPEC §1), the label,
// annotation and environment variable names a Job carries. Lists are `as const`
// so that each gives a union type: a misspelled reason is a type error.

export const group = 'sluice.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}` as const;

export const kinds = { workflow: 'Workflow', workflowRun: 'WorkflowRun' } as const;
export const plurals = { workflows: 'workflows', workflowRuns: 'workflowruns' } as const;

/** Labels on every Job sluice creates and on its pods (values shortened to 63 characters, see boundedName). */
export const labels = {
  workflow: 'sluice.dev/workflow',
  workflowRun: 'sluice.dev/workflow-run',
} as const;

export const annotations = {
  /** On a Job: the run's concurrency keys as JSON, `[{"expression": ..., "key": ...}]`. */
  concurrencyKeys: 'sluice.dev/concurrency-keys',
} as const;

/** Environment variables every container (and init container) of a run's Job receives. */
export const jobEnv = {
  /** The run's spec.input as JSON (`{}` when it has none). */
  input: 'SLUICE_INPUT',
  /** The Workflow's name. */
  workflow: 'SLUICE_WORKFLOW',
  /** The WorkflowRun's name. */
  workflowRun: 'SLUICE_WORKFLOW_RUN',
  /** The run's spec.additionalMetadata as JSON (`{}` when it has none). */
  additionalMetadata: 'SLUICE_ADDITIONAL_METADATA',
} as const;

export const limitStrategies = [
  'GROUP_ROUND_ROBIN',
  'CANCEL_IN_PROGRESS',
  'CANCEL_NEWEST',
  'CANCEL_QUEUED_EXCEPT_NEWEST',
  'CANCEL_QUEUED_EXCEPT_OLDEST',
] as const;
export type LimitStrategy = (typeof limitStrategies)[number];

/** The expression of a concurrency entry that names none: one group for every run. */
export const constantExpression = "'constant'";
export const defaultLimitStrategy: LimitStrategy = 'GROUP_ROUND_ROBIN';

export const runPhases = ['Pending', 'Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled'] as const;
export type RunPhase = (typeof runPhases)[number];

const terminalPhases: ReadonlySet<string> = new Set<RunPhase>(['Succeeded', 'Failed', 'Cancelled']);

/** Succeeded, Failed and Cancelled are final (SPEC §3.6.6). */
export function isTerminalPhase(phase: string | undefined): boolean {
  return phase !== undefined && terminalPhases.has(phase);
}

/** The reasons of a WorkflowRun's status (SPEC §1), exact strings. */
export const runReasons = [
  'WorkflowNotFound',
  'WorkflowNotReady',
  'InvalidInput',
  'ConcurrencyKeyError',
  'Queued',
  'Admitted',
  'JobSucceeded',
  'JobFailed',
  'JobDeleted',
  'CancelledInProgress',
  'CancelledNewest',
  'CancelledQueuedExceptNewest',
  'CancelledQueuedExceptOldest',
  'ScheduleTimeout',
] as const;
export type RunReason = (typeof runReasons)[number];

/** The reasons of a Workflow's Ready condition. */
export const workflowReasons = ['Valid', 'InvalidConcurrencyExpression', 'InvalidInputSchema'] as const;
export type WorkflowReason = (typeof workflowReasons)[number];

export const conditionTypes = {
  /** Workflow: its expressions compile and its inputSchema is valid. */
  ready: 'Ready',
  /** WorkflowRun: True once its Job was created. */
  admitted: 'Admitted',
  /** WorkflowRun: True once it reached a terminal phase. */
  finished: 'Finished',
} as const;
