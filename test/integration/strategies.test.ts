// SPEC §3 on the real control plane: the operator process admits WorkflowRuns as
// Jobs that kwok really runs and finishes, and an independent watcher of Jobs
// checks the limits from the outside.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clients, eventually, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { groupsFromAnnotation, jobTemplate, JobWatcher, Sluice, type Run } from './support/sluice.ts';

const c = clients();
let operator: Operator;
let watcher: JobWatcher | undefined;

beforeAll(async () => {
  installCrds();
  operator = await startOperator();
});

afterAll(async () => {
  await operator?.stop();
});

afterEach(() => {
  watcher?.stop();
  watcher = undefined;
});

async function setUp(prefix: string): Promise<Sluice> {
  const s = new Sluice(c, await freshNamespace(c.core, prefix));
  watcher = new JobWatcher(c.kubeconfig, s.namespace);
  await watcher.start();
  return s;
}

function maxActive(): Map<string, number> {
  return watcher?.maxActive(groupsFromAnnotation) ?? new Map();
}

function startOf(run: Run): number {
  return Date.parse(run.status?.startTime ?? '');
}

function byName(runs: Run[]): Map<string, Run> {
  return new Map(runs.map((r) => [r.metadata.name, r]));
}

describe('GROUP_ROUND_ROBIN', () => {
  it('the constant shorthand: at most 5 of 8 runs at once, all succeed', async () => {
    const s = await setUp('constant');
    await s.createWorkflow('constant', { concurrency: [{ maxRuns: 5 }], template: jobTemplate('3s') });
    for (let i = 0; i < 8; i++) await s.createRun('constant', { n: i });
    const runs = await s.waitForAllTerminal();
    expect(runs.map((r) => r.status?.phase)).toEqual(Array(8).fill('Succeeded'));
    expect(runs.every((r) => r.status?.reason === 'JobSucceeded')).toBe(true);
    expect(maxActive().get("'constant'=constant")).toBe(5);
    expect(watcher?.runsWithSeveralJobs()).toEqual([]);
  });

  it('maxRuns 1 over input.group: one Job per group at a time, runs of a group in creation order', async () => {
    const s = await setUp('round-robin');
    await s.createWorkflow('rr', { concurrency: [{ expression: 'input.group', maxRuns: 1 }], template: jobTemplate('1s') });
    const created: Run[] = [];
    for (let i = 0; i < 3; i++) created.push(await s.createRun('rr', { group: 'a', n: i }));
    created.push(await s.createRun('rr', { group: 'b' }));
    const runs = byName(await s.waitForAllTerminal());
    expect([...runs.values()].every((r) => r.status?.phase === 'Succeeded')).toBe(true);
    expect(maxActive().get('input.group=a')).toBe(1);
    expect(maxActive().get('input.group=b')).toBe(1);
    const groupA = created.slice(0, 3).map((r) => startOf(runs.get(r.metadata.name) as Run));
    expect(groupA).toEqual([...groupA].sort((x, y) => x - y));
    // The keys a run was admitted under are in its status and on its Job.
    const first = runs.get(created[0]?.metadata.name ?? '') as Run;
    expect(first.status?.concurrencyKeys).toEqual([{ expression: 'input.group', key: 'a' }]);
  });

  it('priority: a priority-3 run queued last goes before the priority-1 runs queued earlier', async () => {
    const s = await setUp('priority');
    await s.createWorkflow('prio', { concurrency: [{ maxRuns: 1 }], template: jobTemplate('2s') });
    const blocker = await s.createRun('prio', { n: 0 });
    await s.waitForRun(blocker.metadata.name, 'Running');
    const low = [await s.createRun('prio', { n: 1 }), await s.createRun('prio', { n: 2 })];
    const high = await s.createRun('prio', { n: 3 }, { priority: 3 });
    await eventually('the later runs to be Queued', async () => {
      const runs = byName(await s.runs());
      return [...low, high].every((r) => runs.get(r.metadata.name)?.status?.phase === 'Queued') || undefined;
    });
    const runs = byName(await s.waitForAllTerminal());
    const highStart = startOf(runs.get(high.metadata.name) as Run);
    for (const r of low) expect(highStart).toBeLessThan(startOf(runs.get(r.metadata.name) as Run));
  });
});

describe('CANCEL_IN_PROGRESS', () => {
  it('a newer run replaces the running one: its Job is deleted and the message names the newer run', async () => {
    const s = await setUp('cancel-in-progress');
    await s.createWorkflow('cip', { concurrency: [{ expression: 'input.group', maxRuns: 1, limitStrategy: 'CANCEL_IN_PROGRESS' }], template: jobTemplate('60s') });
    const old = await s.createRun('cip', { group: 'g' });
    const running = await s.waitForRun(old.metadata.name, 'Running');
    const newer = await s.createRun('cip', { group: 'g' });
    const cancelled = await s.waitForRun(old.metadata.name, 'Cancelled', 'CancelledInProgress');
    expect(cancelled.status?.message).toContain(newer.metadata.name);
    await s.waitForRun(newer.metadata.name, 'Running');
    await eventually("the cancelled run's Job to be gone", async () => {
      const jobs = await s.jobs();
      return jobs.every((j) => j.metadata?.name !== running.status?.jobName) || undefined;
    });
    const events = await eventually('a Cancelled Event', async () => (await s.events(old.metadata.name)).find((e) => e.reason === 'Cancelled'));
    expect(events.message).toContain(newer.metadata.name);
    expect(maxActive().get('input.group=g')).toBe(1);
  });

  it('maxRuns 5 over input.group_key: each group keeps its 5 newest of a burst', async () => {
    const s = await setUp('concurrency-demo');
    await s.createWorkflow('demo', { concurrency: [{ expression: 'input.group_key', maxRuns: 5, limitStrategy: 'CANCEL_IN_PROGRESS' }], template: jobTemplate('60s') });
    const a: Run[] = [];
    for (let i = 0; i < 8; i++) a.push(await s.createRun('demo', { group_key: 'tenant-a', n: i }));
    for (let i = 0; i < 3; i++) await s.createRun('demo', { group_key: 'tenant-b', n: i });
    const runs = await eventually('5 tenant-a runs Running, 3 Cancelled, and tenant-b all Running', async () => {
      const all = await s.runs();
      const phases = all.map((r) => `${(r.spec['input'] as { group_key: string }).group_key}:${r.status?.phase}`).sort();
      const want = [...Array(3).fill('tenant-a:Cancelled'), ...Array(5).fill('tenant-a:Running'), ...Array(3).fill('tenant-b:Running')];
      return JSON.stringify(phases) === JSON.stringify(want) ? byName(all) : undefined;
    });
    // Cancelled are exactly the three oldest of tenant-a.
    expect(a.map((r) => runs.get(r.metadata.name)?.status?.phase)).toEqual([...Array(3).fill('Cancelled'), ...Array(5).fill('Running')]);
    expect(a.slice(0, 3).every((r) => runs.get(r.metadata.name)?.status?.reason === 'CancelledInProgress')).toBe(true);
    expect(maxActive().get('input.group_key=tenant-a') ?? 0).toBeLessThanOrEqual(5);
    expect(watcher?.runsWithSeveralJobs()).toEqual([]);
  });
});

describe('CANCEL_NEWEST', () => {
  it('a run that finds its group full is rejected and never gets a Job', async () => {
    const s = await setUp('cancel-newest');
    await s.createWorkflow('cn', { concurrency: [{ expression: 'input.group', maxRuns: 2, limitStrategy: 'CANCEL_NEWEST' }], template: jobTemplate('60s') });
    const first = [await s.createRun('cn', { group: 'g' }), await s.createRun('cn', { group: 'g' })];
    for (const r of first) await s.waitForRun(r.metadata.name, 'Running');
    const late = await s.createRun('cn', { group: 'g' });
    const rejected = await s.waitForRun(late.metadata.name, 'Cancelled', 'CancelledNewest');
    expect(rejected.status?.jobName).toBeUndefined();
    const event = await eventually('a Rejected Event', async () => (await s.events(late.metadata.name)).find((e) => e.reason === 'Rejected'));
    expect(event.type).toBe('Normal');
    expect((await s.jobs()).map((j) => j.metadata?.labels?.['sluice.dev/workflow-run'])).not.toContain(late.metadata.name);
    for (const r of first) expect((await s.run(r.metadata.name)).status?.phase).toBe('Running');
  });
});

describe('CANCEL_QUEUED_EXCEPT_*', () => {
  for (const [strategy, survivor, reason] of [
    ['CANCEL_QUEUED_EXCEPT_NEWEST', 'newest', 'CancelledQueuedExceptNewest'],
    ['CANCEL_QUEUED_EXCEPT_OLDEST', 'oldest', 'CancelledQueuedExceptOldest'],
  ] as const) {
    it(`${strategy}: one run running, ten more arrive, only the ${survivor} of the ten stays queued`, async () => {
      const s = await setUp(strategy.toLowerCase().replaceAll('_', '-'));
      await s.createWorkflow('q', { concurrency: [{ expression: 'input.group', maxRuns: 1, limitStrategy: strategy }], template: jobTemplate('60s') });
      const blocker = await s.createRun('q', { group: 'g' });
      await s.waitForRun(blocker.metadata.name, 'Running');
      const ten: Run[] = [];
      for (let i = 0; i < 10; i++) ten.push(await s.createRun('q', { group: 'g', n: i }));
      const keep = survivor === 'newest' ? ten[9] : ten[0];
      const runs = await eventually('nine of the ten cancelled', async () => {
        const all = byName(await s.runs());
        return ten.filter((r) => all.get(r.metadata.name)?.status?.phase === 'Cancelled').length === 9 ? all : undefined;
      });
      expect(runs.get(keep?.metadata.name ?? '')?.status?.phase).toBe('Queued');
      for (const r of ten.filter((r) => r !== keep)) expect(runs.get(r.metadata.name)?.status?.reason).toBe(reason);
      if (survivor === 'newest') {
        // Each cancelled run names a newer run that superseded it when it arrived.
        const message = runs.get(ten[0]?.metadata.name ?? '')?.status?.message ?? '';
        expect(ten.slice(1).some((r) => message.includes(r.metadata.name))).toBe(true);
      }
      expect(runs.get(blocker.metadata.name)?.status?.phase).toBe('Running');
      expect(watcher?.jobCount).toBe(1);
    });
  }
});

describe('several entries', () => {
  it('a run is admitted only when every group has room, and no group exceeds its limit', async () => {
    const s = await setUp('multi');
    await s.createWorkflow('multi', {
      concurrency: [
        { expression: 'input.tier', maxRuns: 2 },
        { expression: 'input.account', maxRuns: 1 },
      ],
      template: jobTemplate('2s'),
    });
    const inputs = [
      { tier: 'gold', account: 'a' }, { tier: 'gold', account: 'a' }, { tier: 'gold', account: 'b' },
      { tier: 'gold', account: 'c' }, { tier: 'free', account: 'a' }, { tier: 'free', account: 'd' },
    ];
    for (const input of inputs) await s.createRun('multi', input);
    const runs = await s.waitForAllTerminal();
    expect(runs.every((r) => r.status?.phase === 'Succeeded')).toBe(true);
    const max = maxActive();
    expect(max.get('input.tier=gold')).toBe(2);
    expect(max.get('input.tier=free') ?? 0).toBeLessThanOrEqual(2);
    for (const account of ['a', 'b', 'c', 'd']) expect(max.get(`input.account=${account}`)).toBe(1);
    expect(runs[0]?.status?.concurrencyKeys?.map((k) => k.expression)).toEqual(['input.tier', 'input.account']);
  });
});

describe('scheduleTimeout', () => {
  it('a run queued longer than the timeout is cancelled with ScheduleTimeout', async () => {
    const s = await setUp('timeout');
    await s.createWorkflow('to', { concurrency: [{ maxRuns: 1 }], scheduleTimeout: '2s', template: jobTemplate('60s') });
    const blocker = await s.createRun('to', {});
    await s.waitForRun(blocker.metadata.name, 'Running');
    const waiting = await s.createRun('to', {});
    const run = await s.waitForRun(waiting.metadata.name, 'Cancelled', 'ScheduleTimeout');
    expect(run.status?.jobName).toBeUndefined();
    expect((await s.run(blocker.metadata.name)).status?.phase).toBe('Running');
  });
});

describe('changes while runs are in flight', () => {
  it('a run deleted while queued never gets a Job; one deleted while running frees its slot', async () => {
    const s = await setUp('deleted-run');
    await s.createWorkflow('del', { concurrency: [{ maxRuns: 1 }], template: jobTemplate('60s') });
    const running = await s.createRun('del', { n: 0 });
    await s.waitForRun(running.metadata.name, 'Running');
    const queued = await s.createRun('del', { n: 1 });
    const next = await s.createRun('del', { n: 2 });
    await s.waitForRun(queued.metadata.name, 'Queued');
    await s.deleteRun(queued.metadata.name);
    await s.deleteRun(running.metadata.name);
    await s.waitForRun(next.metadata.name, 'Running');
    expect(watcher?.runsWithSeveralJobs()).toEqual([]);
    const jobRuns = (await s.jobs()).map((j) => j.metadata?.labels?.['sluice.dev/workflow-run']);
    expect(jobRuns).not.toContain(queued.metadata.name);
    await eventually("the deleted run's Job to be collected", async () => {
      const jobs = await s.jobs();
      return jobs.every((j) => j.metadata?.labels?.['sluice.dev/workflow-run'] !== running.metadata.name) || undefined;
    });
    expect(maxActive().get("'constant'=constant")).toBe(1);
  });

  it('a Job deleted by someone else fails its run with JobDeleted and frees the slot', async () => {
    const s = await setUp('deleted-job');
    await s.createWorkflow('dj', { concurrency: [{ maxRuns: 1 }], template: jobTemplate('60s') });
    const victim = await s.createRun('dj', { n: 0 });
    const next = await s.createRun('dj', { n: 1 });
    const running = await s.waitForRun(victim.metadata.name, 'Running');
    await c.batch.deleteNamespacedJob({ name: running.status?.jobName ?? '', namespace: s.namespace, propagationPolicy: 'Background' });
    const failed = await s.waitForRun(victim.metadata.name, 'Failed', 'JobDeleted');
    expect(failed.status?.message).toContain(running.status?.jobName);
    await s.waitForRun(next.metadata.name, 'Running');
    await eventually('a Failed Event', async () => (await s.events(victim.metadata.name)).find((e) => e.reason === 'Failed' && e.type === 'Warning'));
  });

  it('a Workflow deleted with runs in flight: running runs finish, the others wait as WorkflowNotFound until it is back', async () => {
    const s = await setUp('deleted-workflow');
    const spec = { concurrency: [{ maxRuns: 1 }], template: jobTemplate('4s') };
    await s.createWorkflow('wf', spec);
    const running = await s.createRun('wf', { n: 0 });
    const queued = await s.createRun('wf', { n: 1 });
    await s.waitForRun(running.metadata.name, 'Running');
    await s.waitForRun(queued.metadata.name, 'Queued');
    await s.deleteWorkflow('wf');
    await s.waitForRun(queued.metadata.name, 'Pending', 'WorkflowNotFound');
    const late = await s.createRun('wf', { n: 2 });
    await s.waitForRun(late.metadata.name, 'Pending', 'WorkflowNotFound');
    await s.waitForRun(running.metadata.name, 'Succeeded', 'JobSucceeded');
    await s.createWorkflow('wf', spec);
    const runs = await s.waitForAllTerminal();
    expect(runs.every((r) => r.status?.phase === 'Succeeded')).toBe(true);
    expect(maxActive().get("'constant'=constant")).toBe(1);
  });

  it('a lower maxRuns cancels the oldest running runs under CANCEL_IN_PROGRESS, and none under GROUP_ROUND_ROBIN', async () => {
    const s = await setUp('lower-limit');
    const spec = (maxRuns: number, limitStrategy: string) => ({ concurrency: [{ maxRuns, limitStrategy }], template: jobTemplate('60s') });
    await s.createWorkflow('cip', spec(3, 'CANCEL_IN_PROGRESS'));
    await s.createWorkflow('rr', spec(2, 'GROUP_ROUND_ROBIN'));
    const cip = [await s.createRun('cip', { n: 0 }), await s.createRun('cip', { n: 1 }), await s.createRun('cip', { n: 2 })];
    const rr = [await s.createRun('rr', { n: 0 }), await s.createRun('rr', { n: 1 })];
    for (const r of [...cip, ...rr]) await s.waitForRun(r.metadata.name, 'Running');
    const waiting = await s.createRun('rr', { n: 2 });
    await s.waitForRun(waiting.metadata.name, 'Queued');

    await s.updateWorkflowSpec('cip', spec(1, 'CANCEL_IN_PROGRESS'));
    await s.updateWorkflowSpec('rr', spec(1, 'GROUP_ROUND_ROBIN'));
    for (const r of cip.slice(0, 2)) await s.waitForRun(r.metadata.name, 'Cancelled', 'CancelledInProgress');
    expect((await s.run(cip[2]?.metadata.name ?? '')).status?.phase).toBe('Running');
    // The Workflow status shows the new generation was seen before judging round robin.
    await eventually('rr to be observed at generation 2', async () => ((await s.workflow('rr')).status?.observedGeneration === 2) || undefined);
    for (const r of rr) expect((await s.run(r.metadata.name)).status?.phase).toBe('Running');
    expect((await s.run(waiting.metadata.name)).status?.phase).toBe('Queued');
  });

  it('a new expression re-evaluates queued runs; running runs keep their keys', async () => {
    const s = await setUp('new-expression');
    const spec = (expression: string) => ({ concurrency: [{ expression, maxRuns: 1 }], template: jobTemplate('60s') });
    await s.createWorkflow('wf', spec('input.a'));
    const running = await s.createRun('wf', { a: 'x', b: 'one' });
    await s.waitForRun(running.metadata.name, 'Running');
    const queued = await s.createRun('wf', { a: 'x', b: 'two' });
    await s.waitForRun(queued.metadata.name, 'Queued');

    await s.updateWorkflowSpec('wf', spec('input.b'));
    const admitted = await s.waitForRun(queued.metadata.name, 'Running');
    expect(admitted.status?.concurrencyKeys).toEqual([{ expression: 'input.b', key: 'two' }]);
    expect((await s.run(running.metadata.name)).status?.concurrencyKeys).toEqual([{ expression: 'input.a', key: 'x' }]);
  });

  it('a finished run stays Succeeded when its Job is removed later', async () => {
    const s = await setUp('terminal-final');
    await s.createWorkflow('tf', { template: jobTemplate('1s') });
    const run = await s.createRun('tf', {});
    const done = await s.waitForRun(run.metadata.name, 'Succeeded');
    await c.batch.deleteNamespacedJob({ name: done.status?.jobName ?? '', namespace: s.namespace, propagationPolicy: 'Background' });
    await eventually('the Job to be gone', async () => ((await s.jobs()).length === 0) || undefined);
    // The operator handles events in order: once a later run has finished, it has
    // seen the Job go.
    const later = await s.createRun('tf', {});
    await s.waitForRun(later.metadata.name, 'Succeeded');
    const after = await s.run(run.metadata.name);
    expect(after.status?.phase).toBe('Succeeded');
    expect(after.status?.reason).toBe('JobSucceeded');
  });
});

describe('the Job', () => {
  it('is named after the run, owned by it, labelled, annotated with the keys, and gets the run in its environment', async () => {
    const s = await setUp('job-shape');
    await s.createWorkflow('shape', { concurrency: [{ expression: 'input.tenant', maxRuns: 3 }], template: jobTemplate('1s') });
    const run = await s.createRun('shape', { tenant: 't1', payload: [1, 2] }, { additionalMetadata: { source: 'test' } });
    const done = await s.waitForRun(run.metadata.name, 'Succeeded');
    const job = await c.batch.readNamespacedJob({ name: done.status?.jobName ?? '', namespace: s.namespace });
    expect(job.metadata?.name).toBe(run.metadata.name);
    expect(job.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'WorkflowRun', name: run.metadata.name, uid: run.metadata.uid, controller: true }),
    ]);
    expect(job.metadata?.labels).toEqual(expect.objectContaining({ 'sluice.dev/workflow': 'shape', 'sluice.dev/workflow-run': run.metadata.name }));
    expect(JSON.parse(job.metadata?.annotations?.['sluice.dev/concurrency-keys'] ?? '[]')).toEqual([{ expression: 'input.tenant', key: 't1' }]);
    const env = Object.fromEntries((job.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(JSON.parse(env['SLUICE_INPUT'] ?? '')).toEqual({ tenant: 't1', payload: [1, 2] });
    expect(env['SLUICE_WORKFLOW']).toBe('shape');
    expect(env['SLUICE_WORKFLOW_RUN']).toBe(run.metadata.name);
    expect(JSON.parse(env['SLUICE_ADDITIONAL_METADATA'] ?? '')).toEqual({ source: 'test' });
    expect(done.status?.conditions?.map((cond) => `${cond.type}=${cond.status}`).sort()).toEqual(['Admitted=True', 'Finished=True']);
    expect(done.status?.queuedAt).toMatch(/\.\d{6}Z$/);
  });

  it("is never taken over from someone else: a Job of the run's name that is not its own fails the run", async () => {
    const s = await setUp('job-taken');
    await s.createWorkflow('taken', { template: jobTemplate('1s') });
    await c.batch.createNamespacedJob({ namespace: s.namespace, body: { metadata: { name: 'squatted' }, ...(jobTemplate('60s') as object) } });
    const run = await s.createRun('taken', {}, { name: 'squatted' });
    const failed = await s.waitForRun(run.metadata.name, 'Failed', 'JobFailed');
    expect(failed.status?.message).toContain('does not belong to this run');
    const job = await c.batch.readNamespacedJob({ name: 'squatted', namespace: s.namespace });
    expect(job.metadata?.ownerReferences).toBeUndefined();
  });

  it('a failing pod fails the run with JobFailed and a Warning Event', async () => {
    const s = await setUp('job-failed');
    await s.createWorkflow('fails', { template: jobTemplate('1s', { fail: true }) });
    const run = await s.createRun('fails', {});
    const failed = await s.waitForRun(run.metadata.name, 'Failed', 'JobFailed');
    expect(failed.status?.completionTime).toBeDefined();
    await eventually('a Failed Event', async () => (await s.events(run.metadata.name)).find((e) => e.reason === 'Failed'));
  });
});
