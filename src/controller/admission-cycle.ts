// Where a run is admitted. One cycle:
//   1. decide  — the engine decides from the state it holds and applies its own
//                decisions at once: an admitted run counts against its groups from
//                this moment (assume) ...
//   2. write   — ... and then the writes go out: the Job (named after the run, so a
//                stale cache can never make a second one), a bounded number at
//                once, the rest waiting in decision order; then the run's status;
//   3. undo    — a Job create known to have failed gives the slot back
//                (admissionFailed) and the run is retried with backoff; one whose
//                outcome is unknown keeps the slot until a read settles it.
// Cancellations write the run's terminal status first, so the decision survives a
// crash, then delete the Job; its slots are free once the deletion is accepted.
import { jobForRun, type Job, type Workflow, type WorkflowRun } from '../api/index.ts';
import type { AdmissionEngine, Decision, QueuedRun } from '../engine/index.ts';
import { errorCode, errorMessage, resources, type ClusterApi } from '../kubernetes/cluster-api.ts';
import type { EventRecorder } from '../kubernetes/events.ts';
import { Fifo } from '../kubernetes/fifo.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { nowMicros } from './clock.ts';
import { workflowKeyOfRun } from './run-plan.ts';
import type { StatusChange } from './run-status.ts';
import type { RunStatusWriter, WriteResult } from './status-writer.ts';
import type { WorkQueue } from './work-queue.ts';
import type { WorkflowRegistry } from './workflow-registry.ts';

export interface AdmissionDeps {
  engine: AdmissionEngine;
  api: ClusterApi;
  writer: RunStatusWriter;
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  runs: { get(key: string): WorkflowRun | undefined };
  /** Runs this process admitted whose Job the cache has not shown yet. */
  admittedHere: Set<string>;
  /** Runs whose Job deletion the API server accepted: a cache still showing that Job is stale. */
  jobsDeleted: Set<string>;
  workflows: WorkflowRegistry;
  /** What the engine was told of each active run (keys, priority, queuedAt). */
  active: Map<string, QueuedRun>;
  runQueue: WorkQueue;
}

export function runTarget(run: WorkflowRun) {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'WorkflowRun', namespace: run.metadata.namespace ?? '', name: run.metadata.name, uid: run.metadata.uid ?? '' };
}

/**
 * Job creates under way at once. A start with 50,000 stored runs admits 10,000 in
 * one cycle: as that many coroutines, each with its promises and its request
 * waiting in the request queue, they held tens of megabytes; as entries in
 * `waiting`, a few dozen bytes each. More than the request queue sends at once,
 * so it always has the next create at hand.
 */
const maxJobCreates = 256;

/** An admission decided, its writes not started: what they need. */
interface Admission {
  key: string;
  run: WorkflowRun;
  queued: QueuedRun;
  workflow: Workflow;
  now: number;
}

function workflowLabels(run: WorkflowRun) {
  return { namespace: run.metadata.namespace ?? '', workflow: run.spec.workflowRef.name };
}

export class AdmissionCycle {
  private readonly d: AdmissionDeps;
  private readonly waiting = new Fifo<Admission>();
  private creating = 0;

  constructor(deps: AdmissionDeps) {
    this.d = deps;
  }

  /** Admissions decided whose Job create has not started yet. */
  get jobCreatesWaiting(): number {
    return this.waiting.size;
  }

  run(now: number): number {
    const decisions = this.d.engine.decide(now);
    for (const decision of decisions) this.act(decision, now);
    return decisions.length;
  }

  private act(decision: Decision, now: number): void {
    const run = this.d.runs.get(decision.run);
    const queued = this.d.active.get(decision.run);
    if (decision.type !== 'admit') this.d.active.delete(decision.run);
    if (!run) {
      // Deleted since it was enqueued: nothing to write, and no slot to hold.
      this.d.engine.remove(decision.run);
      return;
    }
    switch (decision.type) {
      case 'admit':
        this.admit(decision.run, run, queued, now);
        return;
      case 'cancel':
        this.cancel(decision.run, run, queued, {
          phase: 'Cancelled',
          reason: decision.reason,
          message:
            decision.reason === 'CancelledQueuedExceptOldest'
              ? 'Cancelled: its group already keeps the maximum number of older queued runs (CANCEL_QUEUED_EXCEPT_OLDEST)'
              : decision.reason === 'CancelledInProgress'
                ? `Cancelled in progress: replaced by newer run ${nameOf(decision.replacedBy)} (CANCEL_IN_PROGRESS)`
                : `Cancelled while queued: superseded by newer run ${nameOf(decision.replacedBy)} (CANCEL_QUEUED_EXCEPT_NEWEST)`,
        }, decision.running);
        this.d.metrics.cancelled.inc({ ...workflowLabels(run), reason: decision.reason });
        return;
      case 'reject':
        this.cancel(decision.run, run, queued, { phase: 'Cancelled', reason: 'CancelledNewest', message: 'Rejected: its concurrency group was full (CANCEL_NEWEST)' }, false);
        this.d.metrics.rejected.inc(workflowLabels(run));
        return;
      case 'timeout':
        this.cancel(decision.run, run, queued, { phase: 'Cancelled', reason: 'ScheduleTimeout', message: 'Cancelled: it stayed queued longer than the Workflow scheduleTimeout' }, false);
        this.d.metrics.timedOut.inc(workflowLabels(run));
        return;
    }
  }

  /** `key`: the run's "namespace/name", the string the controller and the engine hold. */
  private admit(key: string, run: WorkflowRun, queued: QueuedRun | undefined, now: number): void {
    const workflow = this.d.workflows.get(workflowKeyOfRun(run));
    if (!queued || workflow?.kind !== 'ready') {
      // The engine admitted a run the controller no longer holds as queued (its
      // Workflow went away in between): give the slot back and look again.
      this.d.engine.admissionFailed(key);
      this.d.runQueue.add(key);
      return;
    }
    this.d.admittedHere.add(key);
    this.waiting.push({ key, run, queued, workflow: workflow.workflow, now });
    this.startJobCreates();
  }

  private startJobCreates(): void {
    while (this.creating < maxJobCreates) {
      const admission = this.waiting.shift();
      if (!admission) return;
      this.creating += 1;
      void this.createAdmittedJob(admission).finally(() => {
        this.creating -= 1;
        this.startJobCreates();
      });
    }
  }

  /** Creates the Job; once it exists, the run's Running status follows outside the bound. */
  private async createAdmittedJob(admission: Admission): Promise<void> {
    const { key, run, queued, workflow, now } = admission;
    // Cancelled (CANCEL_IN_PROGRESS) or deleted while it waited: no Job.
    if (this.d.engine.runState(key) !== 'running') {
      this.d.admittedHere.delete(key);
      return;
    }
    const jobName = jobForRun.nameFor(run);
    const outcome = await this.createJob(run, jobName, () => jobForRun(workflow, run, queued.keys));
    if (outcome !== 'ours') {
      this.d.admittedHere.delete(key);
      this.d.engine.admissionFailed(key);
      if (outcome === 'absent') {
        const retryInMs = this.d.runQueue.retry(key);
        this.d.logger.warn({ namespace: run.metadata.namespace, run: run.metadata.name, retryInMs }, 'Job not created; slot released');
        return;
      }
      // Retrying cannot help: the API server refuses this Job (a bad template), or
      // the name belongs to a Job that is not this run's.
      this.d.engine.remove(key);
      this.d.active.delete(key);
      const message =
        outcome === 'foreign'
          ? `the Job could not be created: a Job named ${jobName} exists and does not belong to this run`
          : `the Job could not be created: ${outcome.refused}`;
      void this.finish(key, run, { phase: 'Failed', reason: 'JobFailed', message });
      return;
    }
    this.d.metrics.admitted.inc(workflowLabels(run));
    this.d.metrics.admissionWait.observe(workflowLabels(run), Math.max(0, now - queued.queuedAt) / 1e6);
    this.d.logger.info({ namespace: run.metadata.namespace, workflow: run.spec.workflowRef.name, run: run.metadata.name, key: queued.keys.map((k) => k.key).join(','), job: jobName }, 'admitted');
    void this.reportAdmitted(admission, jobName);
  }

  private async reportAdmitted({ key, run, queued }: Admission, jobName: string): Promise<void> {
    const startTime = nowMicros();
    const message = `Admitted: Job ${jobName} created`;
    const result = await this.d.writer.write(key, run, {
      phase: 'Running', reason: 'Admitted', message, concurrencyKeys: queued.keys, queuedAt: queued.queuedAt, startTime, jobName,
    });
    if (result === 'written') this.d.events.record(runTarget(run), 'Normal', 'Admitted', message);
  }

  /**
   * Creates the run's Job and says whether it exists now. An answer that does not
   * settle it (no answer, a 5xx: the create may have been stored) or a 409 is
   * settled by reading the Job, and until then the slot stays held: releasing it
   * on a guess could run one Job too many while the API server is unreachable.
   */
  private async createJob(run: WorkflowRun, jobName: string, job: () => Job): Promise<'ours' | 'absent' | { refused: string } | 'foreign'> {
    const namespace = run.metadata.namespace ?? '';
    try {
      await this.d.api.create(resources.jobs, namespace, job);
      return 'ours';
    } catch (err) {
      const status = errorCode(err);
      if (status === 429) return 'absent';
      if (status !== undefined && status >= 400 && status < 500 && status !== 409) return { refused: errorMessage(err) };
      this.d.logger.warn({ namespace, run: run.metadata.name, err: errorMessage(err) }, 'Job create unsettled; reading it back');
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const found = await this.d.api.get<Job>(resources.jobs, namespace, jobName);
        if (!found) return 'absent';
        return found.metadata.ownerReferences?.some((o) => o.uid === run.metadata.uid) ? 'ours' : 'foreign';
      } catch (err) {
        const delayMs = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.d.logger.warn({ namespace, run: run.metadata.name, err: errorMessage(err), retryInMs: delayMs }, 'cannot read the Job back; its slot stays held');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private cancel(key: string, run: WorkflowRun, queued: QueuedRun | undefined, change: StatusChange, running: boolean): void {
    const full: StatusChange = { ...change, completionTime: nowMicros(), ...(queued ? { concurrencyKeys: queued.keys, queuedAt: queued.queuedAt } : {}) };
    void this.finish(key, run, full).then((result) => {
      if (result !== 'failed' && running) void this.deleteJob(key, run);
    });
  }

  /**
   * Writes a terminal status, and once written the Event that goes with it:
   * Rejected (CANCEL_NEWEST), Cancelled, or Failed. Success has no Event; the
   * phase says it.
   */
  async finish(key: string, run: WorkflowRun, change: StatusChange): Promise<WriteResult> {
    const result = await this.d.writer.write(key, run, change);
    if (result === 'written') {
      this.d.logger.info({ namespace: run.metadata.namespace, workflow: run.spec.workflowRef.name, run: run.metadata.name, phase: change.phase, reason: change.reason }, change.message);
      const event = change.phase === 'Failed' ? 'Failed' : change.reason === 'CancelledNewest' ? 'Rejected' : change.phase === 'Cancelled' ? 'Cancelled' : undefined;
      if (event) this.d.events.record(runTarget(run), event === 'Failed' ? 'Warning' : 'Normal', event, change.message);
    }
    return result;
  }

  /** Deletes a cancelled run's Job; once the API server accepts, its slots are free. */
  async deleteJob(key: string, run: WorkflowRun): Promise<void> {
    const jobName = run.status?.jobName ?? jobForRun.nameFor(run);
    try {
      await this.d.api.delete(resources.jobs, run.metadata.namespace ?? '', jobName);
      this.d.jobsDeleted.add(key);
      this.d.engine.remove(key);
      this.d.runQueue.forget(key);
      this.d.runQueue.add(key);
    } catch (err) {
      const retryInMs = this.d.runQueue.retry(key);
      this.d.logger.warn({ namespace: run.metadata.namespace, run: run.metadata.name, err: errorMessage(err), retryInMs }, 'Job delete failed');
    }
  }
}

function nameOf(id: string): string {
  return id.slice(id.indexOf('/') + 1);
}
