// What to do with one run, decided from what the caches show — the level-triggered
// heart of the run reconciler. Pure: the controller gathers the facts, this says
// what they mean, and the controller acts on the answer.
import {
  annotations,
  parseMicroTime,
  type Job,
  type RunKey as StatusKey,
  type WorkflowRun,
} from '../api/index.ts';
import type { QueuedRun, RunKey } from '../engine/index.ts';
import { evaluateKey } from '../keys/index.ts';
import type { WorkflowState } from './workflow-registry.ts';

export interface RunFacts {
  run: WorkflowRun;
  /** The run's Job, if the cache holds one owned by this run. */
  job: Job | undefined;
  /** Whether the cache held the run's Job earlier: its absence now means it was deleted. */
  jobWasSeen: boolean;
  /** Whether the engine counts the run as running (admitted by this process). */
  admittedHere: boolean;
  /** The Workflow the run names, compiled; undefined when it does not exist. */
  workflow: WorkflowState | undefined;
  /** When the controller first saw the run, in µs: its queuedAt unless status has one. */
  firstSeen: number;
  /** The run's "namespace/name": its id in the engine. */
  key: string;
}

export type RunPlan =
  /** Terminal, and no Job holds a slot. */
  | { kind: 'done' }
  /** Terminal, but its Job still runs: it holds its slots until the Job is deleted. */
  | { kind: 'cleanUpJob'; keys: RunKey[] }
  /** The Job finished or vanished: the run ends. */
  | { kind: 'finish'; phase: 'Succeeded' | 'Failed'; reason: 'JobSucceeded' | 'JobFailed' | 'JobDeleted'; message: string }
  /** The Job runs. */
  | { kind: 'running'; keys: RunKey[]; queuedAt: number }
  /** Status says Running but no Job is cached: ask the API server before concluding it is gone. */
  | { kind: 'verifyJob' }
  /** Waiting for its Workflow to exist or be fixed. */
  | { kind: 'pending'; reason: 'WorkflowNotFound' | 'WorkflowNotReady'; message: string }
  /** A bad run: it fails with the reason. */
  | { kind: 'fail'; reason: 'InvalidInput' | 'ConcurrencyKeyError'; message: string }
  /** Waiting for a slot. */
  | { kind: 'queue'; run: QueuedRun };

export const terminalPhases: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** The "namespace/name" of the Workflow the run names: its key in the caches and the registry. */
export function workflowKeyOfRun(run: WorkflowRun): string {
  return `${run.metadata.namespace}/${run.spec.workflowRef.name}`;
}

export function isTerminal(run: WorkflowRun): boolean {
  return terminalPhases.has(run.status?.phase ?? '');
}

function jobCondition(job: Job, type: 'Complete' | 'Failed'): { message?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function jobIsActive(job: Job): boolean {
  return !job.metadata.deletionTimestamp && !jobCondition(job, 'Complete') && !jobCondition(job, 'Failed');
}

/** The keys a running Job was admitted under: from the run's status, else from the Job's annotation. */
function admittedKeys(run: WorkflowRun, job: Job | undefined): RunKey[] {
  if (run.status?.concurrencyKeys) return run.status.concurrencyKeys;
  const annotated = job?.metadata.annotations?.[annotations.concurrencyKeys];
  return annotated ? (JSON.parse(annotated) as StatusKey[]) : [];
}

function queuedAt(run: WorkflowRun, firstSeen: number): number {
  const fromStatus = run.status?.queuedAt ? parseMicroTime(run.status.queuedAt) : undefined;
  return fromStatus ?? firstSeen;
}

function sameExpressions(keys: readonly RunKey[] | undefined, expressions: readonly string[]): boolean {
  return keys !== undefined && keys.length === expressions.length && keys.every((k, i) => k.expression === expressions[i]);
}

export function planRun(facts: RunFacts): RunPlan {
  const { run, job } = facts;
  if (isTerminal(run)) {
    return job && jobIsActive(job) ? { kind: 'cleanUpJob', keys: admittedKeys(run, job) } : { kind: 'done' };
  }
  if (job) {
    if (jobCondition(job, 'Complete')) return { kind: 'finish', phase: 'Succeeded', reason: 'JobSucceeded', message: `Job ${job.metadata.name} completed` };
    const failed = jobCondition(job, 'Failed');
    if (failed) {
      return { kind: 'finish', phase: 'Failed', reason: 'JobFailed', message: `Job ${job.metadata.name} failed${failed.message ? `: ${failed.message}` : ''}` };
    }
    if (job.metadata.deletionTimestamp) return jobDeleted(job.metadata.name);
    return { kind: 'running', keys: admittedKeys(run, job), queuedAt: queuedAt(run, facts.firstSeen) };
  }
  if (facts.jobWasSeen) return jobDeleted(run.status?.jobName ?? 'its Job');
  // Admitted here and created, but the Job's watch event has not arrived yet.
  if (facts.admittedHere) return { kind: 'running', keys: admittedKeys(run, job), queuedAt: queuedAt(run, facts.firstSeen) };
  if (run.status?.phase === 'Running') return { kind: 'verifyJob' };
  return planWaitingRun(facts);
}

function jobDeleted(jobName: string): RunPlan {
  return { kind: 'finish', phase: 'Failed', reason: 'JobDeleted', message: `Job ${jobName} was deleted before it finished` };
}

function planWaitingRun(facts: RunFacts): RunPlan {
  const { run, workflow } = facts;
  const workflowName = run.spec.workflowRef.name;
  if (!workflow) {
    return { kind: 'pending', reason: 'WorkflowNotFound', message: `Workflow ${workflowName} does not exist in namespace ${run.metadata.namespace}; the run waits for it` };
  }
  if (workflow.kind === 'notReady') {
    return { kind: 'pending', reason: 'WorkflowNotReady', message: `Workflow ${workflowName} is not Ready (${workflow.reason}: ${workflow.message}); the run waits until it is fixed` };
  }
  const invalid = workflow.checkInput(run.spec.input);
  if (invalid) return { kind: 'fail', reason: 'InvalidInput', message: invalid };

  const expressions = workflow.programs.map((p) => p.expression);
  let keys: RunKey[];
  if (sameExpressions(run.status?.concurrencyKeys, expressions)) {
    keys = run.status?.concurrencyKeys ?? [];
  } else {
    keys = [];
    const variables = {
      input: run.spec.input ?? {},
      additional_metadata: run.spec.additionalMetadata ?? {},
      workflow_run_id: run.metadata.name,
      metadata: {
        name: run.metadata.name,
        namespace: run.metadata.namespace ?? '',
        labels: run.metadata.labels ?? {},
        annotations: run.metadata.annotations ?? {},
      },
    };
    for (const [index, { expression, program }] of workflow.programs.entries()) {
      const result = evaluateKey(program, variables);
      if (!result.ok) {
        return { kind: 'fail', reason: 'ConcurrencyKeyError', message: `spec.concurrency[${index}].expression ${JSON.stringify(expression)}: ${result.error}` };
      }
      keys.push({ expression, key: result.key });
    }
    // An exact-size copy: an array grown by push keeps room for 17 entries, and every queued run holds one.
    keys = keys.slice();
  }
  return {
    kind: 'queue',
    run: {
      id: facts.key,
      workflow: workflow.limits.id,
      keys,
      priority: (run.spec.priority ?? 1) as 1 | 2 | 3,
      queuedAt: queuedAt(run, facts.firstSeen),
    },
  };
}
