// Every example in examples/ must be a valid Workflow or WorkflowRun — by the zod
// schemas the operator parses with and by the generated CRD schema — so that the
// examples cannot drift from the API.
import { evaluate } from '@marcbachmann/cel-js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { parseWorkflow, parseWorkflowRun, workflowCrd, workflowRunCrd, type JsonSchema, type Workflow, type WorkflowRun } from '../../src/api/index.ts';
import { validate } from './schema-walk.ts';

const examplesDir = join(import.meta.dirname, '../../examples');
const exampleNames = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function documents(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as Record<string, unknown> | null;
    })
    .filter((doc): doc is Record<string, unknown> => doc !== null);
}

function crdSchema(crd: JsonSchema): JsonSchema {
  return (crd['spec'] as { versions: { schema: { openAPIV3Schema: JsonSchema } }[] }).versions[0]!.schema.openAPIV3Schema;
}

/** The object as the API server stores it: named, namespaced. */
function stored(doc: Record<string, unknown>, index: number): Record<string, unknown> {
  const metadata = doc['metadata'] as { name?: string; generateName?: string };
  return { ...doc, metadata: { ...metadata, name: metadata.name ?? `${metadata.generateName}x${index}`, namespace: 'default', uid: `uid-${index}` } };
}

function load(name: string): { workflows: Workflow[]; runs: WorkflowRun[] } {
  const workflows = documents(join(examplesDir, name, 'workflow.yaml')).map((doc, i) => {
    expect(doc['apiVersion']).toBe('sluice.dev/v1alpha1');
    expect(doc['kind']).toBe('Workflow');
    expect(validate(doc, crdSchema(workflowCrd))).toEqual([]);
    const parsed = parseWorkflow(stored(doc, i));
    if (!parsed.ok) throw new Error(`examples/${name}/workflow.yaml: ${parsed.error}`);
    return parsed.value;
  });
  const runs = documents(join(examplesDir, name, 'runs.yaml')).map((doc, i) => {
    expect(doc['apiVersion']).toBe('sluice.dev/v1alpha1');
    expect(doc['kind']).toBe('WorkflowRun');
    expect((doc['metadata'] as { generateName?: string }).generateName).toBe(`${name}-`);
    expect(validate(doc, crdSchema(workflowRunCrd))).toEqual([]);
    const parsed = parseWorkflowRun(stored(doc, i));
    if (!parsed.ok) throw new Error(`examples/${name}/runs.yaml document ${i + 1}: ${parsed.error}`);
    return parsed.value;
  });
  return { workflows, runs };
}

describe('examples', () => {
  it('has the seed workflows', () => {
    expect(exampleNames).toEqual(['cancel-in-progress', 'cancel-newest', 'concurrency-demo', 'constant-limit', 'multiple-keys', 'round-robin']);
  });

  it.each(exampleNames)('%s: a valid Workflow and runs that name it', (name) => {
    const { workflows, runs } = load(name);
    expect(workflows.map((w) => w.metadata.name)).toEqual([name]);
    expect(runs.length).toBeGreaterThanOrEqual(8);
    for (const run of runs) expect(run.spec.workflowRef.name).toBe(name);
  });

  it.each(exampleNames)('%s: every run has a string key under every entry, and fits the inputSchema', (name) => {
    const { workflows, runs } = load(name);
    const workflow = workflows[0]!;
    const inputSchema = workflow.spec.inputSchema ? z.fromJSONSchema(workflow.spec.inputSchema as Parameters<typeof z.fromJSONSchema>[0]) : undefined;
    const groups = new Set<string>();
    for (const run of runs) {
      if (inputSchema) expect(inputSchema.safeParse(run.spec.input).success).toBe(true);
      const keys = workflow.spec.concurrency.map((entry) => evaluate(entry.expression, { input: run.spec.input ?? {} }));
      for (const key of keys) expect(key).toEqual(expect.any(String));
      groups.add(keys.join('/'));
    }
    expect(groups.size).toBeGreaterThanOrEqual(workflow.spec.concurrency.some((e) => e.expression !== "'constant'") ? 2 : 1);
  });

  it.each(exampleNames)('%s: pods run busybox for a while on the fake node too', (name) => {
    const podTemplate = (load(name).workflows[0]!.spec.template['spec'] as { template: { metadata: { annotations: Record<string, string> }; spec: { containers: { image: string }[] } } }).template;
    expect(podTemplate.metadata.annotations['sluice.dev/fake-duration']).toMatch(/^\d+s$/);
    expect(podTemplate.spec.containers.map((c) => c.image)).toEqual(['busybox']);
  });
});
