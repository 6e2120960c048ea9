import { describe, expect, it } from 'vitest';
import {
  constantConcurrency,
  inputSizeError,
  isTerminalPhase,
  maxInputBytes,
  parseWorkflow,
  parseWorkflowRun,
  type ParseResult,
} from '../../src/api/index.ts';

const template = { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } } };
const workflow = (spec: Record<string, unknown>) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'demo', namespace: 'default', generation: 1, finalizers: ['keep.me/too'] },
  spec: { template, ...spec },
});
const run = (spec: Record<string, unknown>, status?: Record<string, unknown>) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'WorkflowRun',
  metadata: { name: 'demo-x1', namespace: 'default', uid: 'u-1' },
  spec: { workflowRef: { name: 'demo' }, ...spec },
  ...(status ? { status } : {}),
});

function error<T>(result: ParseResult<T>): string {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

function value<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('parseWorkflow', () => {
  it('applies the defaults: no entries, and the integer shorthand', () => {
    expect(value(parseWorkflow(workflow({}))).spec.concurrency).toEqual([]);
    const shorthand = value(parseWorkflow(workflow({ concurrency: [{ maxRuns: 5 }] })));
    expect(shorthand.spec.concurrency).toEqual([constantConcurrency(5)]);
    expect(constantConcurrency(5)).toEqual({ expression: "'constant'", maxRuns: 5, limitStrategy: 'GROUP_ROUND_ROBIN' });
  });

  it('keeps every field it knows, and metadata it does not', () => {
    const spec = {
      concurrency: [{ expression: 'input.group_key', maxRuns: 5, limitStrategy: 'CANCEL_IN_PROGRESS' }],
      scheduleTimeout: '5m',
      inputSchema: { type: 'object', required: ['group_key'] },
    };
    const parsed = value(parseWorkflow(workflow(spec)));
    expect(parsed.spec).toEqual({ ...spec, template });
    expect(parsed.metadata['finalizers']).toEqual(['keep.me/too']);
  });

  it.each([
    ['maxRuns 0', { concurrency: [{ maxRuns: 0 }] }, 'spec.concurrency[0].maxRuns: Too small'],
    ['maxRuns missing', { concurrency: [{ expression: 'input.a' }] }, 'spec.concurrency[0].maxRuns: Invalid input'],
    ['maxRuns not an integer', { concurrency: [{ maxRuns: 1.5 }] }, 'spec.concurrency[0].maxRuns'],
    ['an unknown strategy', { concurrency: [{ maxRuns: 1, limitStrategy: 'FIFO' }] }, 'spec.concurrency[0].limitStrategy'],
    ['9 entries', { concurrency: Array.from({ length: 9 }, (_, i) => ({ expression: `input.k${i}`, maxRuns: 1 })) }, 'spec.concurrency: Too big'],
    ['an empty expression', { concurrency: [{ expression: '', maxRuns: 1 }] }, 'spec.concurrency[0].expression: Too small'],
    ['a 1025-character expression', { concurrency: [{ expression: `'${'x'.repeat(1023)}'`, maxRuns: 1 }] }, 'spec.concurrency[0].expression: Too big'],
    ['a duplicate expression', { concurrency: [{ expression: 'input.a', maxRuns: 1 }, { expression: 'input.a', maxRuns: 2 }] }, 'spec.concurrency[1].expression: duplicate expression "input.a", already in entry 0'],
    ['two defaulted expressions', { concurrency: [{ maxRuns: 1 }, { maxRuns: 2 }] }, `spec.concurrency[1].expression: duplicate expression "'constant'"`],
    ['a timeout without unit', { scheduleTimeout: '5' }, 'spec.scheduleTimeout'],
    ['a zero timeout', { scheduleTimeout: '0s' }, 'spec.scheduleTimeout: must be a duration greater than 0'],
    ['an inputSchema that is not an object', { inputSchema: 'string' }, 'spec.inputSchema'],
    ['no template', { template: undefined }, 'spec.template: Invalid input: expected record'],
  ])('refuses %s, naming the field', (_name, spec, message) => {
    expect(error(parseWorkflow(workflow(spec)))).toContain(message);
  });

  it('refuses an object without spec or name', () => {
    expect(error(parseWorkflow({ metadata: { name: 'w' } }))).toContain('spec: Invalid input');
    expect(error(parseWorkflow({ metadata: {}, spec: { template } }))).toContain('metadata.name');
    expect(error(parseWorkflow(null))).toContain('(root)');
  });
});

describe('parseWorkflowRun', () => {
  it('defaults priority to 1 and leaves input absent', () => {
    const parsed = value(parseWorkflowRun(run({})));
    expect(parsed.spec).toEqual({ workflowRef: { name: 'demo' }, priority: 1 });
  });

  it('keeps any JSON input and the additional metadata', () => {
    const spec = { input: { group_key: 'tenant-a', run: 1, nested: { list: [1, 'two', null] } }, additionalMetadata: { source: 'webhook' }, priority: 3 };
    expect(value(parseWorkflowRun(run(spec))).spec).toEqual({ workflowRef: { name: 'demo' }, ...spec });
  });

  it('reads the status the operator writes', () => {
    const status = {
      phase: 'Running',
      reason: 'Admitted',
      message: 'Admitted: Job demo-x1 created',
      concurrencyKeys: [{ expression: 'input.group_key', key: 'tenant-a' }],
      queuedAt: '2026-11-22T23:18:11.123456Z',
      startTime: '2026-11-22T23:18:12.000001Z',
      jobName: 'demo-x1',
      observedGeneration: 1,
      conditions: [{ type: 'Admitted', status: 'True', lastTransitionTime: '2026-11-22T23:18:12.000001Z', reason: 'Admitted', message: 'ok', observedGeneration: 1 }],
    };
    expect(value(parseWorkflowRun(run({}, status))).status).toEqual(status);
  });

  it.each([
    ['no workflowRef', { workflowRef: undefined }, 'spec.workflowRef: Invalid input'],
    ['an empty Workflow name', { workflowRef: { name: '' } }, 'spec.workflowRef.name'],
    ['a Workflow name that is no DNS name', { workflowRef: { name: 'Not_A_Name' } }, 'spec.workflowRef.name'],
    ['priority 0', { priority: 0 }, 'spec.priority: Too small'],
    ['priority 4', { priority: 4 }, 'spec.priority: Too big'],
    ['an input that is a list', { input: [1, 2] }, 'spec.input'],
    ['a non-string metadata value', { additionalMetadata: { n: 1 } }, 'spec.additionalMetadata.n'],
  ])('refuses %s, naming the field', (_name, spec, message) => {
    expect(error(parseWorkflowRun(run(spec)))).toContain(message);
  });

  it('refuses an unknown phase and a key over 256 characters', () => {
    expect(error(parseWorkflowRun(run({}, { phase: 'Done' })))).toContain('status.phase');
    expect(error(parseWorkflowRun(run({}, { concurrencyKeys: [{ expression: 'e', key: 'k'.repeat(257) }] })))).toContain('status.concurrencyKeys[0].key');
  });
});

describe('input size (checked by the operator, not the API server)', () => {
  it('allows 64 KiB serialized and no more', () => {
    const fits = { s: 'x'.repeat(maxInputBytes - '{"s":""}'.length) };
    expect(inputSizeError(fits)).toBeUndefined();
    expect(inputSizeError({ s: `${fits.s}x` })).toBe(`spec.input is ${maxInputBytes + 1} bytes serialized as JSON; at most ${maxInputBytes} are allowed`);
    expect(inputSizeError(undefined)).toBeUndefined();
  });

  it('counts UTF-8 bytes, not characters', () => {
    const half = { s: 'é'.repeat((maxInputBytes - 8) / 2) };
    expect(inputSizeError(half)).toBeUndefined();
    expect(inputSizeError({ s: `${half.s}é` })).toBeDefined();
  });
});

describe('phases', () => {
  it('Succeeded, Failed and Cancelled are terminal', () => {
    expect(['Pending', 'Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled', undefined].map(isTerminalPhase)).toEqual([false, false, false, true, true, true, false]);
  });
});
