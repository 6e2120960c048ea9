// Fluent builders for engine test objects, after Kueue's testing wrappers:
//   workflow('shop').limit('input.tenant', 2, 'CANCEL_NEWEST').timeout(60).build()
//   run(3).of('shop').key('input.tenant', 'a').priority(2).at(30).build()
import type { ConcurrencyEntry, Decision, Priority, QueuedRun, RunKey, Strategy, WorkflowLimits } from '../../src/engine/index.ts';
import { AdmissionEngine } from '../../src/engine/index.ts';
import { ReferenceModel } from './reference.ts';

/** The public surface both the engine and the reference model offer. */
export type Admission = Pick<
  AdmissionEngine,
  | 'setMaxConcurrentRuns'
  | 'upsertWorkflow'
  | 'removeWorkflow'
  | 'enqueue'
  | 'observeRunning'
  | 'remove'
  | 'decide'
  | 'admissionFailed'
  | 'nextDeadline'
  | 'stats'
  | 'runState'
>;

export const implementations: Record<string, (maxConcurrentRuns: number) => Admission> = {
  engine: (maxConcurrentRuns) => new AdmissionEngine({ maxConcurrentRuns }),
  reference: (maxConcurrentRuns) => new ReferenceModel({ maxConcurrentRuns }),
};

/** Run ids: run(3) is "default/r3"; a string is used as the name. */
export function id(name: number | string): string {
  return `default/${typeof name === 'number' ? `r${name}` : name}`;
}

export class WorkflowBuilder {
  private readonly entries: ConcurrencyEntry[] = [];
  private scheduleTimeoutMicros: number | undefined;
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  limit(expression: string, maxRuns: number, strategy: Strategy = 'GROUP_ROUND_ROBIN'): this {
    this.entries.push({ expression, maxRuns, strategy });
    return this;
  }

  timeout(micros: number): this {
    this.scheduleTimeoutMicros = micros;
    return this;
  }

  build(): WorkflowLimits {
    return { id: id(this.name), entries: [...this.entries], ...(this.scheduleTimeoutMicros === undefined ? {} : { scheduleTimeoutMicros: this.scheduleTimeoutMicros }) };
  }
}

export function workflow(name = 'wf'): WorkflowBuilder {
  return new WorkflowBuilder(name);
}

export class RunBuilder {
  private readonly name: number | string;
  private workflowName = 'wf';
  private readonly keys: RunKey[] = [];
  private runPriority: Priority = 1;
  private queuedAt: number;

  constructor(name: number | string) {
    this.name = name;
    this.queuedAt = typeof name === 'number' ? name : 0;
  }

  of(workflowName: string): this {
    this.workflowName = workflowName;
    return this;
  }

  key(expression: string, key: string): this {
    this.keys.push({ expression, key });
    return this;
  }

  priority(priority: Priority): this {
    this.runPriority = priority;
    return this;
  }

  /** queuedAt, µs; a numbered run defaults to its number. */
  at(queuedAt: number): this {
    this.queuedAt = queuedAt;
    return this;
  }

  build(): QueuedRun {
    return { id: id(this.name), workflow: id(this.workflowName), keys: [...this.keys], priority: this.runPriority, queuedAt: this.queuedAt };
  }
}

export function run(name: number | string): RunBuilder {
  return new RunBuilder(name);
}

/** Runs `from`..`to` (numbered, queuedAt = number) with one key. */
export function runs(from: number, to: number, expression: string, key: string, workflowName = 'wf'): QueuedRun[] {
  const built: QueuedRun[] = [];
  for (let n = from; n <= to; n++) built.push(run(n).of(workflowName).key(expression, key).build());
  return built;
}

export const admit = (...names: (number | string)[]): Decision[] => names.map((n) => ({ type: 'admit', run: id(n) }));
export const cancelledInProgress = (name: number | string, replacedBy: number | string, running: boolean): Decision =>
  ({ type: 'cancel', run: id(name), reason: 'CancelledInProgress', replacedBy: id(replacedBy), running });
export const rejected = (...names: (number | string)[]): Decision[] => names.map((n) => ({ type: 'reject', run: id(n), reason: 'CancelledNewest' }));
export const supersededByNewer = (name: number | string, replacedBy: number | string): Decision =>
  ({ type: 'cancel', run: id(name), reason: 'CancelledQueuedExceptNewest', replacedBy: id(replacedBy), running: false });
export const cancelledExceptOldest = (...names: (number | string)[]): Decision[] =>
  names.map((n) => ({ type: 'cancel', run: id(n), reason: 'CancelledQueuedExceptOldest', running: false }));
export const timedOut = (...names: (number | string)[]): Decision[] => names.map((n) => ({ type: 'timeout', run: id(n), reason: 'ScheduleTimeout' }));
