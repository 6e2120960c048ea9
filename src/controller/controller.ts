// The reconcile loop. Informers keep caches of Workflows, WorkflowRuns and the
// operator's Jobs; their events only mark keys dirty. Each turn of the loop:
//   1. sync dirty Workflows: compile a new generation, hand its limits to the engine;
//   2. sync dirty runs: plan each from the caches (run-plan.ts) and tell the engine
//      what is queued and what runs;
//   3. admit: one admission cycle (admission-cycle.ts) — only on the leader, and
//      only once every cache has synced;
//   4. write Queued status for runs that are still waiting;
//   5. sleep until something changes or the next scheduleTimeout is due.
// Nothing depends on whether an event was an add or an update: a key is synced
// from what the caches hold now, so a missed or repeated event changes nothing.
import type { KubeConfig } from '@kubernetes/client-node';
import { jobForRun, labels, type Job, type Workflow, type WorkflowRun } from '../api/index.ts';
import { AdmissionEngine, type QueuedRun } from '../engine/index.ts';
import type { Config } from '../config/config.ts';
import { errorMessage, resources, type ClusterApi } from '../kubernetes/cluster-api.ts';
import type { EventRecorder } from '../kubernetes/events.ts';
import { objectKey } from '../kubernetes/informer.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { AdmissionCycle, runTarget } from './admission-cycle.ts';
import { Cache } from './caches.ts';
import { nowMicros } from './clock.ts';
import { isTerminal, jobIsActive, planRun, terminalPhases, workflowKeyOfRun, type RunPlan } from './run-plan.ts';
import { RunStatusWriter } from './status-writer.ts';
import { WorkflowStatusReporter } from './workflow-status.ts';
import { WorkQueue } from './work-queue.ts';
import { WorkflowRegistry } from './workflow-registry.ts';

export interface ControllerOptions {
  kubeconfig: KubeConfig;
  api: ClusterApi;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  events: EventRecorder;
  isLeader: () => boolean;
  relistIntervalMs?: number;
}

const defaultRelistIntervalMs = 10 * 60_000;

function runKeyOfJob(job: Job): string | undefined {
  const owner = job.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'WorkflowRun');
  return owner ? `${job.metadata.namespace}/${owner.name}` : undefined;
}

export class Controller {
  private readonly o: ControllerOptions;
  private readonly engine: AdmissionEngine;
  private readonly registry = new WorkflowRegistry();
  private readonly runQueue = new WorkQueue();
  private readonly workflowQueue = new WorkQueue();
  private readonly workflows: Cache<Workflow>;
  private readonly runs: Cache<WorkflowRun>;
  private readonly jobs: Cache<Job>;
  private readonly writer: RunStatusWriter;
  private readonly admission: AdmissionCycle;
  private readonly workflowStatus: WorkflowStatusReporter;
  /** What the engine was told of each active run: its keys, priority and queuedAt. */
  private readonly active = new Map<string, QueuedRun>();
  /** When each run was first seen: its queuedAt until its status records one. */
  private readonly firstSeen = new Map<string, number>();
  /** Runs whose Job the cache has held: if it is gone now, it was deleted. */
  private readonly jobsSeen = new Set<string>();
  /** Runs admitted by this process whose Running status has not been seen yet. */
  private readonly admittedHere = new Set<string>();
  /** Runs with a request in flight that must not be repeated (a Job delete, a live read). */
  private readonly inFlight = new Set<string>();
  /** Runs whose Job deletion was accepted (a run never gets another Job). */
  private readonly jobsDeleted = new Set<string>();
  private readonly runsByWorkflow = new Map<string, Set<string>>();
  private readonly awaitingQueuedStatus = new Set<string>();
  /**
   * Queued status writes in flight, at most about a second of the rate limit. A
   * backlog (a start with many queued runs) waits in awaitingQueuedStatus, not as
   * requests in the request queue, where it would hold memory per request and make
   * every Job create wait behind it.
   */
  private queuedWrites = 0;
  private readonly maxQueuedWrites: number;
  private queuedWriteDone: (() => void) | undefined;
  private stopped = false;
  private wake: NodeJS.Timeout | undefined;
  private lastTurn = performance.now();

  constructor(options: ControllerOptions) {
    this.o = options;
    this.maxQueuedWrites = Math.max(10, options.config.kubeApiQps);
    this.engine = new AdmissionEngine({ maxConcurrentRuns: options.config.maxConcurrentRuns });
    const common = {
      kubeconfig: options.kubeconfig,
      api: options.api,
      namespaces: options.config.namespaces,
      relistIntervalMs: options.relistIntervalMs ?? defaultRelistIntervalMs,
      logger: options.logger,
    };
    this.workflows = new Cache<Workflow>({
      ...common,
      name: 'workflows',
      resource: resources.workflows,
      onUpsert: (w) => this.workflowQueue.add(objectKey(w.metadata)),
      onDelete: (w) => this.workflowQueue.add(objectKey(w.metadata)),
    });
    this.runs = new Cache<WorkflowRun>({
      ...common,
      name: 'workflowruns',
      resource: resources.workflowRuns,
      onUpsert: (r, key) => this.onRunEvent(r, key, true),
      onDelete: (r, key) => this.onRunEvent(r, key, false),
    });
    this.jobs = new Cache<Job>({
      ...common,
      name: 'jobs',
      resource: resources.jobs,
      labelSelector: labels.workflowRun,
      // Only metadata and status.conditions of a Job are read (run-plan.ts): its spec,
      // the pod template with the run's input, is not kept.
      transform: (j) => ({ metadata: j.metadata, status: j.status && { conditions: j.status.conditions } }),
      onUpsert: (j) => this.onJobEvent(j),
      onDelete: (j) => this.onJobEvent(j),
    });
    this.writer = new RunStatusWriter(options.api, this.runQueue, options.logger);
    this.admission = new AdmissionCycle({
      engine: this.engine,
      api: options.api,
      writer: this.writer,
      events: options.events,
      metrics: options.metrics,
      logger: options.logger,
      runs: this.runs,
      admittedHere: this.admittedHere,
      jobsDeleted: this.jobsDeleted,
      workflows: this.registry,
      active: this.active,
      runQueue: this.runQueue,
    });
    this.workflowStatus = new WorkflowStatusReporter({
      api: options.api,
      logger: options.logger,
      metrics: options.metrics,
      intervalMs: options.config.workflowStatusIntervalMs,
      workflows: this.workflows,
      runs: this.runs,
      runsOf: (key) => this.runsByWorkflow.get(key) ?? new Set(),
      registry: this.registry,
      engineStats: () => this.engine.stats(),
      isLeader: options.isLeader,
    });
  }

  get synced(): boolean {
    return this.workflows.synced && this.runs.synced && this.jobs.synced;
  }

  /** The loop turned recently (or is idle waiting for work): for /healthz. */
  get healthy(): boolean {
    return performance.now() - this.lastTurn < 60_000 || this.runQueue.length + this.workflowQueue.length === 0;
  }

  /** Starts the informers, waits until all have synced, then runs the loop until stop(). */
  async start(): Promise<void> {
    await Promise.all([this.workflows.start(), this.runs.start(), this.jobs.start()]);
    this.o.logger.info({ workflows: this.workflows.size, runs: this.runs.size, jobs: this.jobs.size }, 'caches synced');
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.wake);
    this.workflows.stop();
    this.runs.stop();
    this.jobs.stop();
    this.workflowStatus.stop();
    this.runQueue.clear();
    this.workflowQueue.clear();
  }

  /** Leadership moved to this replica: look at everything again, now with writes. */
  resyncAll(): void {
    for (const w of this.workflows.values()) this.workflowQueue.add(objectKey(w.metadata));
    for (const r of this.runs.values()) this.runQueue.add(objectKey(r.metadata));
  }

  /** `key` is the informer's: the one copy every per-run map and set here keeps (50,000 runs, three copies, were 13 MB). */
  private onRunEvent(run: WorkflowRun, key: string, present: boolean): void {
    const workflowKey = workflowKeyOfRun(run);
    let members = this.runsByWorkflow.get(workflowKey);
    if (present) {
      if (!members) this.runsByWorkflow.set(workflowKey, (members = new Set()));
      members.add(key);
      if (!this.firstSeen.has(key)) {
        // Runs listed at start-up keep their creation order; later ones are
        // ordered as the watch delivers them, which is the order of creation.
        const created = run.metadata.creationTimestamp ? Date.parse(run.metadata.creationTimestamp) * 1000 : NaN;
        this.firstSeen.set(key, this.synced || Number.isNaN(created) ? nowMicros() : created);
      }
    } else if (members) {
      members.delete(key);
      if (members.size === 0) this.runsByWorkflow.delete(workflowKey);
    }
    this.workflowStatus.touch(workflowKey);
    this.runQueue.add(key);
  }

  private onJobEvent(job: Job): void {
    const runKey = runKeyOfJob(job);
    if (runKey) this.runQueue.add(runKey);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await Promise.race([this.runQueue.whenReady(), this.workflowQueue.whenReady(), this.deadline(), this.queuedWritesCanGoOn()]);
      if (this.stopped) return;
      this.lastTurn = performance.now();
      try {
        this.turn();
      } catch (err) {
        this.o.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'reconcile turn failed');
      }
      // Let informer callbacks and write completions in, so the next turn sees a batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Resolves when Queued status writes wait and one can start (only the leader
   * writes). They wait while admitted runs wait for their Job create: a start
   * with a backlog starts Jobs first and reports later. The last of those creates
   * brings a watch event, which turns the loop again.
   */
  private queuedWritesCanGoOn(): Promise<void> {
    if (this.awaitingQueuedStatus.size === 0 || !this.synced || !this.o.isLeader() || this.admission.jobCreatesWaiting > 0) return new Promise(() => undefined);
    if (this.queuedWrites < this.maxQueuedWrites) return Promise.resolve();
    return new Promise((resolve) => (this.queuedWriteDone = resolve));
  }

  private deadline(): Promise<void> {
    clearTimeout(this.wake);
    const next = this.engine.nextDeadline();
    if (next === undefined) return new Promise(() => undefined);
    return new Promise((resolve) => {
      this.wake = setTimeout(resolve, Math.max(0, (next - nowMicros()) / 1000) + 1);
    });
  }

  private turn(): void {
    const started = performance.now();
    for (const key of this.workflowQueue.drain()) this.syncWorkflow(key);
    for (const key of this.runQueue.drain()) this.syncRun(key);
    this.o.metrics.reconcileDuration.observe({ step: 'sync' }, (performance.now() - started) / 1000);
    if (!this.synced || !this.o.isLeader()) return;

    const admitting = performance.now();
    this.admission.run(nowMicros());
    this.o.metrics.reconcileDuration.observe({ step: 'admission' }, (performance.now() - admitting) / 1000);
    this.writeQueuedStatus();
  }

  private syncWorkflow(key: string): void {
    const workflow = this.workflows.get(key);
    if (!workflow) {
      if (this.registry.delete(key)) this.engine.removeWorkflow(key);
    } else {
      const { state, changed } = this.registry.update(key, workflow);
      if (!changed) {
        this.workflowStatus.touch(key);
        return;
      }
      if (state.kind === 'ready') this.engine.upsertWorkflow(state.limits);
      else this.engine.removeWorkflow(key);
      this.o.logger.info({ namespace: workflow.metadata.namespace, workflow: workflow.metadata.name, generation: state.generation, ready: state.kind === 'ready' }, 'workflow compiled');
    }
    this.workflowStatus.touch(key);
    for (const runKey of this.runsByWorkflow.get(key) ?? []) this.runQueue.add(runKey);
  }

  private jobOf(run: WorkflowRun): Job | undefined {
    const job = this.jobs.get(`${run.metadata.namespace}/${jobForRun.nameFor(run.metadata.name)}`);
    return job && runKeyOfJob(job) === objectKey(run.metadata) && job.metadata.ownerReferences?.some((o) => o.uid === run.metadata.uid) ? job : undefined;
  }

  private forgetRun(key: string): void {
    this.engine.remove(key);
    this.active.delete(key);
    this.firstSeen.delete(key);
    this.jobsSeen.delete(key);
    this.admittedHere.delete(key);
    this.inFlight.delete(key);
    this.jobsDeleted.delete(key);
    this.writer.forget(key);
  }

  private syncRun(key: string): void {
    const run = this.runs.get(key);
    if (!run) {
      // A deleted run's Job goes with it (owner reference), but not at once: until the
      // garbage collector deletes it, it runs and keeps the run's slots (SPEC §3.7).
      // Its deletion is a Job event, which brings the run back here.
      const job = this.jobs.get(`${key.slice(0, key.indexOf('/'))}/${jobForRun.nameFor(key.slice(key.indexOf('/') + 1))}`);
      const state = this.engine.runState(key);
      const holdsSlot = state === 'running' || state === 'cancelling';
      if (holdsSlot && job && runKeyOfJob(job) === key && jobIsActive(job)) return;
      this.forgetRun(key);
      return;
    }
    const leader = this.synced && this.o.isLeader();
    const job = this.jobOf(run);
    if (job) {
      this.jobsSeen.add(key);
      this.admittedHere.delete(key);
    }

    // A decided terminal status that did not get written yet is written, not re-decided.
    const unwritten = this.writer.unwrittenChange(key);
    if (unwritten && terminalPhases.has(unwritten.phase) && !isTerminal(run)) {
      if (leader) void this.admission.finish(key, run, unwritten);
      return;
    }
    // The cache can lag behind this process's own writes: a run it already ended
    // (cancelled, say, with its Job being deleted) is planned as ended, so the
    // Job's deletion cannot be mistaken for someone else's.
    const written = this.writer.writtenChange(key);
    const view = written && terminalPhases.has(written.phase) && !isTerminal(run) ? { ...run, status: { ...run.status, phase: written.phase } } : run;

    const plan = planRun({
      run: view,
      job,
      jobWasSeen: this.jobsSeen.has(key) && !job,
      admittedHere: this.admittedHere.has(key),
      workflow: this.registry.get(workflowKeyOfRun(run)),
      firstSeen: this.firstSeen.get(key) ?? nowMicros(),
      key,
    });
    this.apply(key, run, plan, leader);
  }

  private apply(key: string, run: WorkflowRun, plan: RunPlan, leader: boolean): void {
    const log = { namespace: run.metadata.namespace, workflow: run.spec.workflowRef.name, run: run.metadata.name };
    switch (plan.kind) {
      case 'done':
        this.engine.remove(key);
        this.active.delete(key);
        return;
      case 'cleanUpJob':
        // Deleted already: the cache has not caught up, and the slot is free.
        if (this.jobsDeleted.has(key)) return;
        this.observeRunning(key, this.runningRun(key, run, plan.keys, this.firstSeen.get(key) ?? 0));
        if (leader && !this.inFlight.has(key)) {
          this.inFlight.add(key);
          void this.admission.deleteJob(key, run).finally(() => this.inFlight.delete(key));
        }
        return;
      case 'finish':
        this.engine.remove(key);
        this.active.delete(key);
        if (!leader) return;
        if (plan.phase === 'Failed') this.o.metrics.failed.inc({ namespace: log.namespace ?? '', workflow: log.workflow, reason: plan.reason });
        void this.admission.finish(key, run, { phase: plan.phase, reason: plan.reason, message: plan.message, completionTime: nowMicros() });
        return;
      case 'running':
        this.observeRunning(key, this.runningRun(key, run, plan.keys, plan.queuedAt));
        if (leader && run.status?.phase !== 'Running' && !this.admittedHere.has(key) && !this.writer.writtenChange(key) && !this.writer.unwrittenChange(key)) {
          // Admitted before a restart, whose Running status was never written.
          const jobName = jobForRun.nameFor(run.metadata.name);
          void this.writer.write(key, run, { phase: 'Running', reason: 'Admitted', message: `Admitted: Job ${jobName} created`, concurrencyKeys: plan.keys, queuedAt: plan.queuedAt, startTime: nowMicros(), jobName });
        }
        return;
      case 'verifyJob':
        if (leader && !this.inFlight.has(key)) {
          this.inFlight.add(key);
          void this.verifyJob(key, run).finally(() => this.inFlight.delete(key));
        }
        return;
      case 'pending':
        this.engine.remove(key);
        this.active.delete(key);
        if (leader) void this.writer.write(key, run, { phase: 'Pending', reason: plan.reason, message: plan.message });
        return;
      case 'fail':
        this.engine.remove(key);
        this.active.delete(key);
        if (!leader) return;
        this.o.metrics.failed.inc({ namespace: log.namespace ?? '', workflow: log.workflow, reason: plan.reason });
        void this.admission.finish(key, run, { phase: 'Failed', reason: plan.reason, message: plan.message, completionTime: nowMicros() });
        return;
      case 'queue': {
        const previous = this.active.get(key);
        if (!previous || JSON.stringify(previous) !== JSON.stringify(plan.run)) {
          this.engine.enqueue(plan.run);
          // The engine's copy of the keys: with 50,000 queued runs, a copy of their own was 9 MB.
          this.active.set(key, { ...plan.run, keys: this.engine.queuedKeysOf(key) ?? plan.run.keys });
        }
        if (run.status?.phase !== 'Queued' || JSON.stringify(run.status.concurrencyKeys) !== JSON.stringify(plan.run.keys)) {
          this.awaitingQueuedStatus.add(key);
        }
        return;
      }
    }
  }

  private observeRunning(key: string, run: QueuedRun): void {
    this.engine.observeRunning(run);
    if (!this.active.has(key)) this.active.set(key, run);
  }

  private runningRun(key: string, run: WorkflowRun, keys: QueuedRun['keys'], queuedAt: number): QueuedRun {
    return {
      id: key,
      workflow: workflowKeyOfRun(run),
      keys,
      priority: (run.spec.priority ?? 1) as 1 | 2 | 3,
      queuedAt,
    };
  }

  /** Status says Running but the cache has no Job: read it live before calling it deleted. */
  private async verifyJob(key: string, run: WorkflowRun): Promise<void> {
    const jobName = run.status?.jobName ?? jobForRun.nameFor(run.metadata.name);
    try {
      const job = await this.o.api.get<Job>(resources.jobs, run.metadata.namespace ?? '', jobName);
      if (job && jobIsActive(job)) return;
      this.jobsSeen.add(key);
      this.runQueue.add(key);
    } catch (err) {
      this.o.logger.warn({ namespace: run.metadata.namespace, run: run.metadata.name, err: errorMessage(err) }, 'could not read the Job');
      this.runQueue.retry(key);
    }
  }

  private writeQueuedStatus(): void {
    if (this.admission.jobCreatesWaiting > 0) return;
    for (const key of this.awaitingQueuedStatus) {
      if (this.queuedWrites >= this.maxQueuedWrites) return;
      this.awaitingQueuedStatus.delete(key);
      const queued = this.active.get(key);
      const run = this.runs.get(key);
      if (!queued || !run || this.engine.runState(key) !== 'queued') continue;
      const message = `Queued: waiting for a free slot in ${queued.keys.length === 0 ? 'the global limit' : queued.keys.map((k) => `group ${k.expression}=${JSON.stringify(k.key)}`).join(' and ')}`;
      const firstTime = run.status?.phase !== 'Queued';
      this.queuedWrites += 1;
      void this.writer
        .write(key, run, { phase: 'Queued', reason: 'Queued', message, concurrencyKeys: queued.keys, queuedAt: queued.queuedAt })
        .then((result) => {
          if (result === 'written' && firstTime) this.o.events.record(runTarget(run), 'Normal', 'Queued', message);
        })
        .finally(() => {
          this.queuedWrites -= 1;
          const resume = this.queuedWriteDone;
          this.queuedWriteDone = undefined;
          resume?.();
        });
    }
  }
}
