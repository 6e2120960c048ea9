// /metrics after a scenario that touches every outcome, read as Prometheus reads it:
// per-Workflow run counts, admissions, cancellations by reason, rejections, waits,
// queue depth, active groups, reconcile and API request timings, the leader gauge
// and the process metrics — and never a concurrency key as a label value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, eventually, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { scrape, type Scrape } from './support/prometheus.ts';
import { jobTemplate, Sluice, type Run } from './support/sluice.ts';

const c = clients();
let namespace: string;
let sluice: Sluice;
let operator: Operator;
let metrics: Scrape;

// Group keys no label may carry: they come from user input.
const secret = 'tenant-secret-key';
const byTenant = 'input.tenant';

const expectedRuns: Record<string, Record<string, number>> = {
  quick: { Succeeded: 2 },
  failing: { Failed: 1 },
  newest: { Running: 1, Cancelled: 2 },
  'in-progress': { Running: 1, Cancelled: 1 },
  held: { Running: 2, Queued: 2 },
};

function labels(workflow: string, extra: Record<string, string> = {}): Record<string, string> {
  return { namespace, workflow, ...extra };
}

function runGaugesMatch(m: Scrape): boolean {
  return Object.entries(expectedRuns).every(([workflow, phases]) =>
    ['Pending', 'Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled'].every(
      (phase) => m.value('sluice_workflow_runs', labels(workflow, { phase })) === (phases[phase] ?? 0),
    ),
  ) && m.value('sluice_queue_depth', labels('held')) === 2;
}

beforeAll(async () => {
  installCrds();
  namespace = await freshNamespace(c.core, 'metrics');
  sluice = new Sluice(c, namespace);
  operator = await startOperator([`--namespace=${namespace}`, '--workflow-status-interval=200ms']);

  // Two runs in one group of one: both succeed, the second after waiting.
  await sluice.createWorkflow('quick', { concurrency: [{ expression: byTenant, maxRuns: 1 }], template: jobTemplate('1s') });
  // A pod that fails.
  await sluice.createWorkflow('failing', { concurrency: [{ expression: byTenant, maxRuns: 1 }], template: jobTemplate('1s', { fail: true }) });
  // One runs, the two newer are rejected.
  await sluice.createWorkflow('newest', { concurrency: [{ expression: byTenant, maxRuns: 1, limitStrategy: 'CANCEL_NEWEST' }], template: jobTemplate('10m') });
  // The newer replaces the older.
  await sluice.createWorkflow('in-progress', { concurrency: [{ expression: byTenant, maxRuns: 1, limitStrategy: 'CANCEL_IN_PROGRESS' }], template: jobTemplate('10m') });
  // Two groups, each with one running and one queued, until the end.
  await sluice.createWorkflow('held', { concurrency: [{ expression: byTenant, maxRuns: 1 }], template: jobTemplate('10m') });

  const quick = [await sluice.createRun('quick', { tenant: `${secret}-q` }), await sluice.createRun('quick', { tenant: `${secret}-q` })];
  const failing = await sluice.createRun('failing', { tenant: `${secret}-f` });
  const held: Run[] = [];
  for (const tenant of [`${secret}-h1`, `${secret}-h2`]) {
    held.push(await sluice.createRun('held', { tenant }));
    held.push(await sluice.createRun('held', { tenant }));
  }

  const firstNewest = await sluice.createRun('newest', { tenant: `${secret}-n` });
  await sluice.waitForRun(firstNewest.metadata.name, 'Running');
  for (let i = 0; i < 2; i++) {
    const rejected = await sluice.createRun('newest', { tenant: `${secret}-n` });
    await sluice.waitForRun(rejected.metadata.name, 'Cancelled', 'CancelledNewest');
  }

  const older = await sluice.createRun('in-progress', { tenant: `${secret}-p` });
  await sluice.waitForRun(older.metadata.name, 'Running');
  const newer = await sluice.createRun('in-progress', { tenant: `${secret}-p` });
  await sluice.waitForRun(older.metadata.name, 'Cancelled', 'CancelledInProgress');
  await sluice.waitForRun(newer.metadata.name, 'Running');

  for (const run of quick) await sluice.waitForRun(run.metadata.name, 'Succeeded');
  await sluice.waitForRun(failing.metadata.name, 'Failed', 'JobFailed');
  await eventually('two held runs running and two queued', async () => {
    const names = new Set(held.map((r) => r.metadata.name));
    const phases = (await sluice.runs()).filter((r) => names.has(r.metadata.name)).map((r) => r.status?.phase);
    return phases.filter((p) => p === 'Running').length === 2 && phases.filter((p) => p === 'Queued').length === 2 || undefined;
  });

  // The per-Workflow gauges follow the runs' statuses on the status interval.
  metrics = await eventually('the run gauges to match the runs', async () => {
    const m = await scrape(operator.metricsUrl);
    return runGaugesMatch(m) ? m : undefined;
  });
}, 240_000);

afterAll(async () => {
  await operator?.stop();
});

describe('metrics', () => {
  it('counts runs by phase per Workflow, and queue depth and active groups', () => {
    for (const [workflow, phases] of Object.entries(expectedRuns)) {
      for (const phase of ['Pending', 'Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled']) {
        expect(metrics.value('sluice_workflow_runs', labels(workflow, { phase })), `${workflow} ${phase}`).toBe(phases[phase] ?? 0);
      }
    }
    expect(metrics.types.get('sluice_workflow_runs')).toBe('gauge');
    expect(metrics.value('sluice_queue_depth', labels('held'))).toBe(2);
    expect(metrics.value('sluice_active_groups', labels('held'))).toBe(2);
    expect(metrics.value('sluice_queue_depth', labels('quick'))).toBe(0);
    expect(metrics.value('sluice_active_groups', labels('quick'))).toBe(0);
    expect(metrics.value('sluice_active_groups', labels('newest'))).toBe(1);
  });

  it('counts admissions, cancellations by reason, rejections and failures', () => {
    const admitted = { quick: 2, failing: 1, newest: 1, 'in-progress': 2, held: 2 };
    for (const [workflow, n] of Object.entries(admitted)) expect(metrics.value('sluice_runs_admitted_total', labels(workflow)), workflow).toBe(n);
    expect(metrics.types.get('sluice_runs_admitted_total')).toBe('counter');

    expect(metrics.select('sluice_runs_cancelled_total').map((s) => s.labels)).toEqual([labels('in-progress', { reason: 'CancelledInProgress' })]);
    expect(metrics.value('sluice_runs_cancelled_total', labels('in-progress', { reason: 'CancelledInProgress' }))).toBe(1);
    expect(metrics.select('sluice_runs_rejected_total').map((s) => s.labels)).toEqual([labels('newest')]);
    expect(metrics.value('sluice_runs_rejected_total', labels('newest'))).toBe(2);
    expect(metrics.select('sluice_runs_failed_total').map((s) => s.labels)).toEqual([labels('failing', { reason: 'JobFailed' })]);
    expect(metrics.value('sluice_runs_failed_total', labels('failing', { reason: 'JobFailed' }))).toBe(1);
    expect(metrics.sum('sluice_runs_timed_out_total')).toBe(0);
  });

  it('observes the admission wait of every admitted run, in cumulative buckets', () => {
    expect(metrics.types.get('sluice_admission_wait_seconds')).toBe('histogram');
    for (const [workflow, n] of Object.entries({ quick: 2, failing: 1, newest: 1, 'in-progress': 2, held: 2 })) {
      expect(metrics.value('sluice_admission_wait_seconds_count', labels(workflow)), workflow).toBe(n);
      expect(metrics.value('sluice_admission_wait_seconds_bucket', labels(workflow, { le: '+Inf' }))).toBe(n);
      const buckets = metrics.select('sluice_admission_wait_seconds_bucket', labels(workflow)).map((s) => s.value);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    }
    // The second quick run waited for the first one's pod.
    expect(metrics.value('sluice_admission_wait_seconds_sum', labels('quick'))).toBeGreaterThan(0);
  });

  it('times reconcile steps and API requests, by verb, resource and code', () => {
    expect(metrics.types.get('sluice_reconcile_duration_seconds')).toBe('histogram');
    expect(metrics.value('sluice_reconcile_duration_seconds_count', { step: 'sync' })).toBeGreaterThan(0);
    expect(metrics.value('sluice_reconcile_duration_seconds_count', { step: 'admission' })).toBeGreaterThan(0);

    // One Job create per admission, each answered with success. (The client reports a
    // success without its exact code, so a success is any 2xx.)
    const codes = (verb: string, resource: string): Record<string, number> =>
      Object.fromEntries(metrics.select('sluice_kubernetes_requests_total', { verb, resource }).map((s) => [s.labels['code'] ?? '', s.value]));
    const succeeded = (verb: string, resource: string) =>
      Object.entries(codes(verb, resource)).reduce((n, [code, value]) => n + (/^2\d\d$/.test(code) ? value : 0), 0);
    expect(Object.keys(codes('create', 'jobs')).filter((code) => !/^2\d\d$/.test(code))).toEqual([]);
    expect(succeeded('create', 'jobs')).toBe(8);
    // The Job of the run cancelled in progress was deleted.
    expect(succeeded('delete', 'jobs')).toBeGreaterThanOrEqual(1);
    expect(succeeded('list', 'workflowruns')).toBeGreaterThan(0);
    expect(succeeded('patch', 'workflowruns/status')).toBeGreaterThan(0);
    expect(metrics.types.get('sluice_kubernetes_request_duration_seconds')).toBe('histogram');
    expect(metrics.value('sluice_kubernetes_request_duration_seconds_count', { verb: 'create', resource: 'jobs' })).toBe(8);
    expect(metrics.value('sluice_kubernetes_request_duration_seconds_sum', { verb: 'create', resource: 'jobs' })).toBeGreaterThan(0);
  });

  it('reports leadership, dropped Events and the process metrics', () => {
    expect(metrics.value('sluice_leader')).toBe(1);
    expect(metrics.types.get('sluice_events_dropped_total')).toBe('counter');
    expect(metrics.value('sluice_events_dropped_total')).toBe(0);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(metrics.select(name).length, name).toBeGreaterThan(0);
    }
  });

  it('never uses a concurrency key as a label value', () => {
    const leaks = metrics.samples.filter((s) => Object.values(s.labels).some((v) => v.includes(secret)));
    expect(leaks).toEqual([]);
    // Every sluice_ series is labelled by Workflow at most, never by group.
    const labelNames = new Set(metrics.samples.filter((s) => s.name.startsWith('sluice_')).flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['code', 'le', 'namespace', 'phase', 'reason', 'resource', 'step', 'verb', 'workflow']);
  });
});
