// SPEC §3.6 under a crash: SIGKILL the operator while it admits 50 runs, start it
// again, and check from an independent watch of Jobs that no group ever ran more
// than maxRuns and no run got two Jobs (invariants 1, 2 and 5).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../cluster/control-plane.ts';
import { clients, eventually, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator } from './support/operator.ts';
import { Relay } from './support/relay.ts';
import { groupsFromAnnotation, jobTemplate, JobWatcher, Sluice } from './support/sluice.ts';

const c = clients();

describe('restart', () => {
  it('SIGKILL while admitting 50 runs: after a restart every run finishes, within the limits, one Job each', async () => {
    installCrds();
    const s = new Sluice(c, await freshNamespace(c.core, 'restart'));
    const watcher = new JobWatcher(c.kubeconfig, s.namespace);
    await watcher.start();
    const first = await startOperator();
    let second;
    try {
      await s.createWorkflow('crash', { concurrency: [{ expression: 'input.group', maxRuns: 3 }], template: jobTemplate('2s') });
      for (let i = 0; i < 50; i++) await s.createRun('crash', { group: `g${i % 5}`, n: i });
      await eventually('the first admissions', async () => (watcher.jobCount >= 8 ? true : undefined));
      await first.kill();
      const killedAt = watcher.jobCount;

      second = await startOperator();
      const runs = await s.waitForAllTerminal(240_000);
      expect(runs.map((r) => r.status?.phase)).toEqual(Array(50).fill('Succeeded'));
      expect(watcher.jobCount).toBe(50);
      expect(killedAt).toBeLessThan(50);
      expect(watcher.runsWithSeveralJobs()).toEqual([]);
      const max = watcher.maxActive(groupsFromAnnotation);
      for (let g = 0; g < 5; g++) expect(max.get(`input.group=g${g}`)).toBe(3);
    } finally {
      watcher.stop();
      await second?.stop();
    }
  });

  it('API server unreachable while admitting: nothing over the limit, no run with two Jobs, every run finishes', async () => {
    installCrds();
    const s = new Sluice(c, await freshNamespace(c.core, 'outage'));
    const watcher = new JobWatcher(c.kubeconfig, s.namespace);
    await watcher.start();
    const server = new URL(c.kubeconfig.getCurrentCluster()?.server ?? '');
    const relay = await Relay.start(await freePort(), server);
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'sluice-outage-')), 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(inject('kubeconfig'), 'utf8').replace(server.origin, `https://127.0.0.1:${relay.port}`));
    const operator = await startOperator([`--namespace=${s.namespace}`], { kubeconfig });
    try {
      await s.createWorkflow('outage', { concurrency: [{ expression: 'input.group', maxRuns: 2 }], template: jobTemplate('1s') });
      for (let i = 0; i < 30; i++) await s.createRun('outage', { group: `g${i % 3}`, n: i });
      await eventually('the first admissions', async () => (watcher.jobCount >= 4 ? true : undefined));
      await relay.cut();
      // While the operator is cut off, Jobs it started finish: it cannot see that,
      // and must not guess.
      await eventually('Jobs to finish during the outage', async () => (watcher.endedCount >= 4 ? true : undefined), 60_000);
      await relay.restore();

      const runs = await s.waitForAllTerminal(240_000);
      expect(runs.map((r) => r.status?.phase)).toEqual(Array(30).fill('Succeeded'));
      expect(watcher.runsWithSeveralJobs()).toEqual([]);
      const max = watcher.maxActive(groupsFromAnnotation);
      for (let g = 0; g < 3; g++) expect(max.get(`input.group=g${g}`)).toBe(2);
    } finally {
      watcher.stop();
      await operator.stop();
      await relay.cut();
    }
  });
});
