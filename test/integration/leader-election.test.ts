// Two replicas with --leader-elect: one holds the Lease and admits, the other
// stands by (ready, not admitting) and takes over when the leader crashes or
// stops — without ever letting a group exceed its limit or a run get two Jobs.
import * as k8s from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clients, eventually, freshNamespace, isNotFound } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { scrape } from './support/prometheus.ts';
import { groupsFromAnnotation, jobTemplate, JobWatcher, Sluice } from './support/sluice.ts';

const c = clients();
const coordination = c.kubeconfig.makeApiClient(k8s.CoordinationV1Api);
const leaseName = 'sluice-leader';
const started: Operator[] = [];
const watchers: JobWatcher[] = [];

beforeAll(() => {
  installCrds();
});

afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  await Promise.all(started.splice(0).map((o) => o.kill()));
});

/** The Lease identity of a replica: the operator uses <hostname>_<pid>. */
function identity(operator: Operator): string {
  return `${hostname()}_${operator.process.pid}`;
}

async function holder(namespace: string): Promise<string | undefined> {
  try {
    const lease = await coordination.readNamespacedLease({ name: leaseName, namespace });
    return lease.spec?.holderIdentity ?? '';
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function readyz(operator: Operator): Promise<{ status: number; body: string }> {
  const res = await fetch(`${operator.healthUrl}/readyz`);
  return { status: res.status, body: await res.text() };
}

async function admittedCount(operator: Operator): Promise<number> {
  return (await scrape(operator.metricsUrl)).sum('sluice_runs_admitted_total');
}

async function leaderGauge(operator: Operator): Promise<number | undefined> {
  return (await scrape(operator.metricsUrl)).value('sluice_leader');
}

/** The runs an operator's log says it admitted. */
function admittedRuns(operator: Operator): string[] {
  return operator.logs().filter((l) => l['msg'] === 'admitted').map((l) => String(l['run']));
}

/** Two replicas scoped to the namespace, with their Lease in it; resolves with [leader, standby] once one leads. */
async function startPair(namespace: string): Promise<[Operator, Operator]> {
  const args = ['--leader-elect', `--leader-election-namespace=${namespace}`, `--namespace=${namespace}`];
  const first = await startOperator(args);
  started.push(first);
  const second = await startOperator(args);
  started.push(second);
  const leaderId = await eventually('one replica to hold the Lease', async () => {
    const h = await holder(namespace);
    return h === identity(first) || h === identity(second) ? h : undefined;
  });
  const [leader, standby] = leaderId === identity(first) ? [first, second] : [second, first];
  await eventually('the leader to report that it leads', async () => ((await leaderGauge(leader)) === 1 ? true : undefined));
  return [leader, standby];
}

async function watchJobs(namespace: string): Promise<JobWatcher> {
  const watcher = new JobWatcher(c.kubeconfig, namespace);
  await watcher.start();
  watchers.push(watcher);
  return watcher;
}

describe('leader election', () => {
  it('lets only the Lease holder admit; the standby is ready and says so', async () => {
    const namespace = await freshNamespace(c.core, 'leader');
    const sluice = new Sluice(c, namespace);
    const [leader, standby] = await startPair(namespace);

    expect(await leaderGauge(standby)).toBe(0);
    expect(await readyz(leader)).toEqual({ status: 200, body: 'ok: caches synced, leading\n' });
    expect(await readyz(standby)).toEqual({ status: 200, body: 'ok: caches synced, standby\n' });

    await sluice.createWorkflow('pair', { concurrency: [{ maxRuns: 2 }], template: jobTemplate('1s') });
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await sluice.createRun('pair', { i }));
    await sluice.waitForAllTerminal();
    for (const run of await sluice.runs()) expect(run.status?.phase, run.metadata.name).toBe('Succeeded');

    expect(admittedRuns(leader).sort()).toEqual(runs.map((r) => r.metadata.name).sort());
    expect(await admittedCount(leader)).toBe(4);
    expect(admittedRuns(standby)).toEqual([]);
    expect(await admittedCount(standby)).toBe(0);
    expect(await holder(namespace)).toBe(identity(leader));
    expect(await leaderGauge(standby)).toBe(0);
  });

  it('hands over to the standby when the leader is killed, with no group over its limit and no run with two Jobs', async () => {
    const namespace = await freshNamespace(c.core, 'leader');
    const sluice = new Sluice(c, namespace);
    const watcher = await watchJobs(namespace);
    const [leader, standby] = await startPair(namespace);

    await sluice.createWorkflow('handover', {
      concurrency: [{ expression: 'input.tenant', maxRuns: 2, limitStrategy: 'GROUP_ROUND_ROBIN' }],
      template: jobTemplate('3s'),
    });
    for (let i = 0; i < 10; i++) await sluice.createRun('handover', { tenant: 'tenant-a', i });
    await eventually('two runs running and the rest queued behind the limit', async () => {
      const phases = (await sluice.runs()).map((r) => r.status?.phase);
      return phases.filter((p) => p === 'Running').length === 2 && phases.filter((p) => p === 'Queued').length === 8 || undefined;
    });

    await leader.kill();
    const withJob = new Set((await sluice.jobs()).map((j) => j.metadata?.labels?.['sluice.dev/workflow-run']));
    const leftToAdmit = (await sluice.runs()).map((r) => r.metadata.name).filter((name) => !withJob.has(name));
    expect(leftToAdmit.length).toBeGreaterThan(0);

    await eventually('the standby to take the Lease', async () => ((await holder(namespace)) === identity(standby) ? true : undefined), 60_000);
    const runs = await sluice.waitForAllTerminal(150_000);
    for (const run of runs) expect(run.status?.phase, run.metadata.name).toBe('Succeeded');

    // The new leader admitted exactly what the old one had not.
    expect(admittedRuns(standby).sort()).toEqual(leftToAdmit.sort());
    expect(await admittedCount(standby)).toBe(leftToAdmit.length);
    expect(await leaderGauge(standby)).toBe(1);
    expect(await readyz(standby)).toEqual({ status: 200, body: 'ok: caches synced, leading\n' });

    expect(watcher.jobCount).toBe(10);
    expect(watcher.runsWithSeveralJobs()).toEqual([]);
    // The limit was reached, and never exceeded, across the handover.
    expect(Object.fromEntries(watcher.maxActive(groupsFromAnnotation))).toEqual({ 'input.tenant=tenant-a': 2 });
  }, 240_000);

  it('releases the Lease when the leader is stopped with SIGTERM, and the standby takes over', async () => {
    const namespace = await freshNamespace(c.core, 'leader');
    const sluice = new Sluice(c, namespace);
    const [leader, standby] = await startPair(namespace);

    expect(await leader.stop()).toBe(0);
    // Released, not left to expire: empty at once, unless the standby already took it.
    expect(['', identity(standby)]).toContain(await holder(namespace));
    await eventually('the standby to take the Lease', async () => ((await holder(namespace)) === identity(standby) ? true : undefined));
    await eventually('the standby to report that it leads', async () => ((await leaderGauge(standby)) === 1 ? true : undefined));
    expect(await readyz(standby)).toEqual({ status: 200, body: 'ok: caches synced, leading\n' });

    await sluice.createWorkflow('after', { concurrency: [{ maxRuns: 1 }], template: jobTemplate('1s') });
    const run = await sluice.createRun('after', { n: 1 });
    await sluice.waitForRun(run.metadata.name, 'Succeeded');
    expect(admittedRuns(standby)).toEqual([run.metadata.name]);
  });

  it('keeps the Lease through a backlog of writes that lasts longer than its renew deadline', async () => {
    const namespace = await freshNamespace(c.core, 'leader');
    const sluice = new Sluice(c, namespace);
    // 4 requests a second: 40 admissions are 120 writes (Job, status, Event), 30 s of
    // backlog, three times the 10 s renew deadline. Lease requests must not wait in it.
    const leader = await startOperator(['--leader-elect', `--leader-election-namespace=${namespace}`, `--namespace=${namespace}`, '--kube-api-qps=4', '--kube-api-burst=4']);
    started.push(leader);
    await eventually('the replica to hold the Lease', async () => ((await holder(namespace)) === identity(leader) ? true : undefined));

    await sluice.createWorkflow('backlog', { concurrency: [{ maxRuns: 40 }], template: jobTemplate('1s') });
    for (let i = 0; i < 40; i++) await sluice.createRun('backlog', { i });
    const runs = await sluice.waitForAllTerminal(180_000);
    for (const run of runs) expect(run.status?.phase, run.metadata.name).toBe('Succeeded');

    expect(leader.logs().filter((l) => Number(l['level']) >= 40 && String(l['msg']).includes('lease'))).toEqual([]);
    expect(admittedRuns(leader)).toHaveLength(40);
    const lease = await coordination.readNamespacedLease({ name: leaseName, namespace });
    expect(lease.spec?.holderIdentity).toBe(identity(leader));
    expect(lease.spec?.leaseTransitions).toBe(0);
    expect(await leaderGauge(leader)).toBe(1);
  }, 240_000);
});
