// Every Prometheus metric sluice exposes, in one place. Labels are bounded:
// namespace and workflow, never a concurrency key (keys come from user input and
// would explode the series count).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const workflowLabels = ['namespace', 'workflow'] as const;

export class Metrics {
  readonly registry = new Registry();

  readonly runs = new Gauge({
    name: 'sluice_workflow_runs',
    help: 'WorkflowRuns by phase, per Workflow.',
    labelNames: [...workflowLabels, 'phase'],
    registers: [this.registry],
  });

  readonly admitted = new Counter({
    name: 'sluice_runs_admitted_total',
    help: 'Runs admitted (their Job created).',
    labelNames: workflowLabels,
    registers: [this.registry],
  });

  readonly cancelled = new Counter({
    name: 'sluice_runs_cancelled_total',
    help: 'Runs cancelled by a concurrency strategy, by reason (CancelledInProgress, CancelledQueuedExceptNewest, CancelledQueuedExceptOldest).',
    labelNames: [...workflowLabels, 'reason'],
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'sluice_runs_rejected_total',
    help: 'Runs rejected because their group was full under CANCEL_NEWEST.',
    labelNames: workflowLabels,
    registers: [this.registry],
  });

  readonly timedOut = new Counter({
    name: 'sluice_runs_timed_out_total',
    help: 'Runs cancelled because they stayed queued longer than the Workflow scheduleTimeout.',
    labelNames: workflowLabels,
    registers: [this.registry],
  });

  readonly failed = new Counter({
    name: 'sluice_runs_failed_total',
    help: 'Runs that ended Failed, by reason (JobFailed, JobDeleted, InvalidInput, ConcurrencyKeyError).',
    labelNames: [...workflowLabels, 'reason'],
    registers: [this.registry],
  });

  readonly admissionWait = new Histogram({
    name: 'sluice_admission_wait_seconds',
    help: 'Time from a run being queued to its admission.',
    labelNames: workflowLabels,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'sluice_queue_depth',
    help: 'Runs queued, waiting for a slot, per Workflow.',
    labelNames: workflowLabels,
    registers: [this.registry],
  });

  readonly activeGroups = new Gauge({
    name: 'sluice_active_groups',
    help: 'Concurrency groups with at least one queued or running run, per Workflow.',
    labelNames: workflowLabels,
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'sluice_reconcile_duration_seconds',
    help: 'Duration of one reconcile step: syncing changed objects, or one admission cycle.',
    labelNames: ['step'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  readonly apiRequests = new Counter({
    name: 'sluice_kubernetes_requests_total',
    help: 'Requests to the Kubernetes API server, by verb, resource and HTTP status code (0: no response).',
    labelNames: ['verb', 'resource', 'code'],
    registers: [this.registry],
  });

  readonly apiLatency = new Histogram({
    name: 'sluice_kubernetes_request_duration_seconds',
    help: 'Latency of requests to the Kubernetes API server, rate-limiter wait excluded.',
    labelNames: ['verb', 'resource'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly eventsDropped = new Counter({
    name: 'sluice_events_dropped_total',
    help: 'Events not written because too many were already waiting (a burst of admissions); run status is always written.',
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'sluice_leader',
    help: '1 while this replica is the leader and admits runs, else 0.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(r: { verb: string; resource: string; code: number; seconds: number }): void {
    this.apiRequests.inc({ verb: r.verb, resource: r.resource, code: String(r.code) });
    this.apiLatency.observe({ verb: r.verb, resource: r.resource }, r.seconds);
  }
}
