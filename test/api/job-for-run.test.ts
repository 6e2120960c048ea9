import { describe, expect, it } from 'vitest';
import {
  boundedName,
  fnv1a32,
  jobForRun,
  jobNameForRun,
  parseWorkflow,
  parseWorkflowRun,
  type Workflow,
  type WorkflowRun,
} from '../../src/api/index.ts';

function workflow(template: Record<string, unknown>, name = 'demo'): Workflow {
  const parsed = parseWorkflow({ metadata: { name, namespace: 'team-a' }, spec: { concurrency: [{ expression: 'input.group', maxRuns: 1 }], template } });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function run(name = 'demo-abc12', spec: Record<string, unknown> = {}): WorkflowRun {
  const parsed = parseWorkflowRun({
    metadata: { name, namespace: 'team-a', uid: '7c1d-uid' },
    spec: { workflowRef: { name: 'demo' }, input: { group: 'g1', n: 1 }, additionalMetadata: { source: 'webhook' }, ...spec },
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const keys = [{ expression: 'input.group', key: 'g1' }];

const template = {
  metadata: { labels: { team: 'a' }, annotations: { note: 'kept' } },
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { labels: { app: 'demo' }, annotations: { 'sluice.dev/fake-duration': '5s' } },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [
          { name: 'main', image: 'busybox', env: [{ name: 'KEEP', value: '1' }, { name: 'SLUICE_INPUT', value: 'stale' }, { name: 'REF', value: '$(SLUICE_INPUT)' }] },
          { name: 'side', image: 'busybox' },
        ],
      },
    },
  },
};

const sluiceEnv = [
  { name: 'SLUICE_INPUT', value: '{"group":"g1","n":1}' },
  { name: 'SLUICE_WORKFLOW', value: 'demo' },
  { name: 'SLUICE_WORKFLOW_RUN', value: 'demo-abc12' },
  { name: 'SLUICE_ADDITIONAL_METADATA', value: '{"source":"webhook"}' },
];

describe('jobForRun', () => {
  const job = jobForRun(workflow(template), run(), keys);

  it('is named after the run, in its namespace, and controlled by it', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata.name).toBe('demo-abc12');
    expect(job.metadata.namespace).toBe('team-a');
    expect(job.metadata.ownerReferences).toEqual([
      { apiVersion: 'sluice.dev/v1alpha1', kind: 'WorkflowRun', name: 'demo-abc12', uid: '7c1d-uid', controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('labels the Job and its pods, keeping the template labels, and annotates the keys', () => {
    const ours = { 'sluice.dev/workflow': 'demo', 'sluice.dev/workflow-run': 'demo-abc12' };
    expect(job.metadata.labels).toEqual({ team: 'a', ...ours });
    expect(job.metadata.annotations).toEqual({ note: 'kept', 'sluice.dev/concurrency-keys': '[{"expression":"input.group","key":"g1"}]' });
    expect(job.spec?.template?.metadata).toEqual({ labels: { app: 'demo', ...ours }, annotations: { 'sluice.dev/fake-duration': '5s' } });
  });

  it('gives every container the SLUICE_ variables first, replacing same-named ones', () => {
    const spec = job.spec?.template?.spec;
    expect(spec?.containers?.[0]?.env).toEqual([...sluiceEnv, { name: 'KEEP', value: '1' }, { name: 'REF', value: '$(SLUICE_INPUT)' }]);
    expect(spec?.containers?.[1]?.env).toEqual(sluiceEnv);
    expect(spec?.initContainers?.[0]?.env).toEqual(sluiceEnv);
  });

  it('keeps the rest of the template and defaults restartPolicy to Never', () => {
    expect(job.spec?.['backoffLimit']).toBe(0);
    expect(job.spec?.template?.spec?.restartPolicy).toBe('Never');
    const onFailure = { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] } } } };
    expect(jobForRun(workflow(onFailure), run(), keys).spec?.template?.spec?.restartPolicy).toBe('OnFailure');
  });

  it('never changes the Workflow template', () => {
    const w = workflow(template);
    const before = structuredClone(w.spec.template);
    jobForRun(w, run(), keys);
    expect(w.spec.template).toEqual(before);
  });

  it('is the same Job every time', () => {
    expect(jobForRun(workflow(template), run(), keys)).toEqual(job);
  });

  it('passes {} for a run without input or metadata', () => {
    const bare = parseWorkflowRun({ metadata: { name: 'bare', namespace: 'team-a', uid: 'u' }, spec: { workflowRef: { name: 'demo' } } });
    if (!bare.ok) throw new Error(bare.error);
    const env = jobForRun(workflow(template), bare.value, []).spec?.template?.spec?.containers?.[1]?.env;
    expect(env).toContainEqual({ name: 'SLUICE_INPUT', value: '{}' });
    expect(env).toContainEqual({ name: 'SLUICE_ADDITIONAL_METADATA', value: '{}' });
  });

  it('leaves a template without containers for the API server to refuse', () => {
    const empty = jobForRun(workflow({}), run(), keys);
    expect(empty.spec?.template?.spec).toEqual({ restartPolicy: 'Never' });
  });

  it('shortens long names, for the Job and for label values', () => {
    const longRun = `r-${'a'.repeat(70)}`;
    const longWorkflow = `w-${'b'.repeat(100)}`;
    const long = jobForRun(workflow(template, longWorkflow), run(longRun), keys);
    expect(long.metadata.name).toBe(jobNameForRun(longRun));
    expect(long.metadata.name).toHaveLength(63);
    expect(long.metadata.labels?.['sluice.dev/workflow']).toHaveLength(63);
    expect(long.metadata.labels?.['sluice.dev/workflow-run']).toBe(long.metadata.name);
    expect(long.metadata.ownerReferences?.[0]?.name).toBe(longRun);
    expect(long.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === 'SLUICE_WORKFLOW_RUN')?.value).toBe(longRun);
  });

  it('nameFor takes the run or its name', () => {
    expect(jobForRun.nameFor('demo-abc12')).toBe('demo-abc12');
    expect(jobForRun.nameFor(run())).toBe('demo-abc12');
  });
});

describe('boundedName', () => {
  it('keeps a name of up to 63 characters', () => {
    expect(boundedName('a'.repeat(63))).toBe('a'.repeat(63));
  });

  it('shortens a longer one to a stable, distinct, valid name', () => {
    const a = `${'x'.repeat(60)}-first`;
    const b = `${'x'.repeat(60)}-second`;
    expect(boundedName(a)).toBe(`${'x'.repeat(54)}-${fnv1a32(a)}`);
    expect(boundedName(a)).toHaveLength(63);
    expect(boundedName(a)).not.toBe(boundedName(b));
    expect(boundedName(a)).toBe(boundedName(a));
    const dashAtCut = `${'x'.repeat(53)}-.yyyyyyyyyyyyyyy`;
    expect(boundedName(dashAtCut)).toMatch(/^x{53}-[0-9a-f]{8}$/);
  });

  it('hashes with 32-bit FNV-1a', () => {
    expect(fnv1a32('')).toBe('811c9dc5');
    expect(fnv1a32('a')).toBe('e40c292c');
    expect(fnv1a32('foobar')).toBe('bf9cf968');
  });
});
