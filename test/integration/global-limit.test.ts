// SPEC §3.4: --max-concurrent-runs caps running runs across every Workflow, and the
// slots it frees go round robin over groups, so one group's single run is not stuck
// behind another group's hundred.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { jobTemplate, JobWatcher, Sluice, type Run } from './support/sluice.ts';

const c = clients();
let operator: Operator;

let namespace: string;

beforeAll(async () => {
  installCrds();
  namespace = await freshNamespace(c.core, 'global-limit');
  // Scoped to its namespace: runs other test files left running must not take the two slots.
  operator = await startOperator(['--max-concurrent-runs=2', `--namespace=${namespace}`]);
});

afterAll(async () => {
  await operator?.stop();
});

const startOf = (r: Run) => Date.parse(r.status?.startTime ?? '');
const queuedAtOf = (r: Run) => Date.parse(r.status?.queuedAt ?? '');

describe('the global limit', () => {
  it("never runs more than 2 at once, and a small group's run goes before the big group's backlog", async () => {
    const s = new Sluice(c, namespace);
    const watcher = new JobWatcher(c.kubeconfig, s.namespace);
    await watcher.start();
    try {
      await s.createWorkflow('big', { concurrency: [{ expression: 'input.group', maxRuns: 10 }], template: jobTemplate('1s') });
      await s.createWorkflow('small', { concurrency: [{ expression: 'input.group', maxRuns: 10 }], template: jobTemplate('1s') });
      const big: Run[] = [];
      for (let i = 0; i < 20; i++) big.push(await s.createRun('big', { group: 'hundred', n: i }));
      await s.waitForRun(big[0]?.metadata.name ?? '', 'Running');
      const small = await s.createRun('small', { group: 'one' });

      const runs = await s.waitForAllTerminal(180_000);
      expect(runs.every((r) => r.status?.phase === 'Succeeded')).toBe(true);
      expect(watcher.maxActive(() => ['all']).get('all')).toBe(2);
      expect(watcher.runsWithSeveralJobs()).toEqual([]);

      // Strict round robin: the big group's last admission was before the small run
      // was queued, so the big group gets at most the next slot; the one after is the
      // small group's.
      const smallRun = runs.find((r) => r.metadata.name === small.metadata.name) as Run;
      const bigRuns = runs.filter((r) => r.metadata.name !== small.metadata.name);
      const overtaking = bigRuns.filter((r) => startOf(r) > queuedAtOf(smallRun) && startOf(r) < startOf(smallRun));
      expect(overtaking.length).toBeLessThanOrEqual(1);
      expect(bigRuns.filter((r) => startOf(r) > startOf(smallRun)).length).toBeGreaterThan(10);
    } finally {
      watcher.stop();
    }
  });
});
