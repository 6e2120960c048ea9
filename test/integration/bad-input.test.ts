// Bad input gets a clear reason and loses nothing: a bad Workflow is not Ready and
// its runs wait; a bad run fails with the reason; the operator keeps serving.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, eventually, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { jobTemplate, Sluice, type WorkflowObject } from './support/sluice.ts';

const c = clients();
let operator: Operator;

beforeAll(async () => {
  installCrds();
  operator = await startOperator();
});

afterAll(async () => {
  await operator?.stop();
});

function readyCondition(w: WorkflowObject) {
  return w.status?.conditions?.find((cond) => cond.type === 'Ready');
}

async function waitForReady(s: Sluice, name: string, status: 'True' | 'False', reason: string): Promise<WorkflowObject> {
  return eventually(`Workflow ${name} Ready=${status}/${reason}`, async () => {
    const w = await s.workflow(name);
    const ready = readyCondition(w);
    return ready?.status === status && ready.reason === reason && w.status?.observedGeneration === w.metadata.generation ? w : undefined;
  });
}

/** The operator keeps serving: a good run in the same namespace still succeeds. */
async function stillServes(s: Sluice): Promise<void> {
  await s.createWorkflow('healthy', { template: jobTemplate('1s') });
  const run = await s.createRun('healthy', {});
  await s.waitForRun(run.metadata.name, 'Succeeded');
}

describe('bad Workflows', () => {
  it('an expression that does not type-check: not Ready, runs wait as WorkflowNotReady, fixed -> they run', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'bad-expression'));
    const template = jobTemplate('1s');
    await s.createWorkflow('typo', { concurrency: [{ expression: 'input.group', maxRuns: 1 }, { expression: 'inptu.tenant', maxRuns: 2 }], template });
    const w = await waitForReady(s, 'typo', 'False', 'InvalidConcurrencyExpression');
    expect(readyCondition(w)?.message).toContain('spec.concurrency[1]');
    expect(readyCondition(w)?.message).toContain('inptu');
    const run = await s.createRun('typo', { group: 'g', tenant: 't' });
    const pending = await s.waitForRun(run.metadata.name, 'Pending', 'WorkflowNotReady');
    expect(pending.status?.message).toContain('inptu');

    await s.updateWorkflowSpec('typo', { concurrency: [{ expression: 'input.group', maxRuns: 1 }, { expression: 'input.tenant', maxRuns: 2 }], template });
    await waitForReady(s, 'typo', 'True', 'Valid');
    const done = await s.waitForRun(run.metadata.name, 'Succeeded');
    expect(done.status?.concurrencyKeys).toEqual([{ expression: 'input.group', key: 'g' }, { expression: 'input.tenant', key: 't' }]);
    await stillServes(s);
  });

  it('an inputSchema that is not a valid JSON Schema: not Ready with InvalidInputSchema', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'bad-schema'));
    await s.createWorkflow('schema', { inputSchema: { type: 'object', properties: { n: { type: 'no-such-type' } } }, template: jobTemplate('1s') });
    const w = await waitForReady(s, 'schema', 'False', 'InvalidInputSchema');
    expect(readyCondition(w)?.message).toContain('inputSchema');
  });

  it('what the API server can refuse by itself is refused at apply time', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'refused'));
    const refusal = (spec: Record<string, unknown>) => s.createWorkflow('refused', spec).then(() => 'accepted', (err: unknown) => (err instanceof k8s.ApiException ? String(err.body) : String(err)));
    expect(await refusal({ concurrency: [{ maxRuns: 0 }], template: jobTemplate('1s') })).toContain('maxRuns');
    expect(await refusal({ concurrency: [{ maxRuns: 1, limitStrategy: 'FIFO' }], template: jobTemplate('1s') })).toContain('limitStrategy');
    expect(await refusal({ concurrency: [{ expression: 'input.a', maxRuns: 1 }, { expression: 'input.a', maxRuns: 2 }], template: jobTemplate('1s') })).toMatch(/[Dd]uplicate|unique/);
    const run = await s.createRun('any', { a: 1 });
    const changed = await c.custom
      .patchNamespacedCustomObject({
        group: 'sluice.dev', version: 'v1alpha1', namespace: s.namespace, plural: 'workflowruns', name: run.metadata.name,
        body: [{ op: 'replace', path: '/spec/input', value: { a: 2 } }],
      })
      .then(() => 'accepted', (err: unknown) => (err instanceof k8s.ApiException ? String(err.body) : String(err)));
    expect(changed).toContain('immutable');
  });
});

describe('bad runs', () => {
  it('a run naming a missing Workflow waits as WorkflowNotFound, and runs once the Workflow appears', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'missing-workflow'));
    const run = await s.createRun('later', { n: 1 });
    const pending = await s.waitForRun(run.metadata.name, 'Pending', 'WorkflowNotFound');
    expect(pending.status?.message).toContain('later');
    await s.createWorkflow('later', { template: jobTemplate('1s') });
    await s.waitForRun(run.metadata.name, 'Succeeded');
  });

  it('a key that is a map fails the run with ConcurrencyKeyError and the CEL error', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'map-key'));
    await s.createWorkflow('keys', { concurrency: [{ expression: 'input.group', maxRuns: 1 }], template: jobTemplate('1s') });
    const run = await s.createRun('keys', { group: { nested: true } });
    const failed = await s.waitForRun(run.metadata.name, 'Failed', 'ConcurrencyKeyError');
    expect(failed.status?.message).toContain('input.group');
    expect(failed.status?.message).toMatch(/map/i);
    expect(await s.jobs()).toEqual([]);
    await eventually('a Failed Event', async () => (await s.events(run.metadata.name)).find((e) => e.reason === 'Failed'));
    const good = await s.createRun('keys', { group: 7 });
    const done = await s.waitForRun(good.metadata.name, 'Succeeded');
    expect(done.status?.concurrencyKeys).toEqual([{ expression: 'input.group', key: '7' }]);
  });

  it('input that fails the inputSchema fails the run with InvalidInput naming the field', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'invalid-input'));
    await s.createWorkflow('typed', {
      inputSchema: { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string' }, size: { type: 'integer', maximum: 10 } } },
      template: jobTemplate('1s'),
    });
    await waitForReady(s, 'typed', 'True', 'Valid');
    const bad = await s.createRun('typed', { tenant: 'a', size: 11 });
    const failed = await s.waitForRun(bad.metadata.name, 'Failed', 'InvalidInput');
    expect(failed.status?.message).toContain('size');
    const good = await s.createRun('typed', { tenant: 'a', size: 3 });
    await s.waitForRun(good.metadata.name, 'Succeeded');
  });

  it('input over 64 KiB fails the run with InvalidInput', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'big-input'));
    await s.createWorkflow('big', { template: jobTemplate('1s') });
    const run = await s.createRun('big', { blob: 'x'.repeat(70 * 1024) });
    const failed = await s.waitForRun(run.metadata.name, 'Failed', 'InvalidInput');
    expect(failed.status?.message).toMatch(/at most 65536/);
    expect(await s.jobs()).toEqual([]);
    await stillServes(s);
  });
});
