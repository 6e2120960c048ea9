// The CRDs in crds/ are generated from the zod schemas of src/api (the source of
// truth). This file fails when the committed YAML and the schemas drift apart;
// after changing a schema, regenerate with
//   npx vitest run --project unit test/api/crds.test.ts -u
// and commit both. It also checks the generated schemas as the API server will:
// structural, described, defaults that validate, CEL rules that agree with zod.
import { evaluate } from '@marcbachmann/cel-js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  customResourceDefinitions,
  parseWorkflow,
  parseWorkflowRun,
  workflowCrd,
  workflowRunCrd,
  type JsonSchema,
} from '../../src/api/index.ts';
import { validate, walk } from './schema-walk.ts';

const crdDir = join(import.meta.dirname, '../../crds');

const header = (file: string) =>
  [
    `# ${file}: generated from the zod schemas in src/api (crds.ts); do not edit.`,
    '# Regenerate: npx vitest run --project unit test/api/crds.test.ts -u',
    '',
  ].join('\n');

function openApiSchema(crd: JsonSchema): JsonSchema {
  const spec = crd['spec'] as { versions: { schema: { openAPIV3Schema: JsonSchema } }[] };
  return spec.versions[0]!.schema.openAPIV3Schema;
}

function nodeAt(crd: JsonSchema, path: string): JsonSchema {
  const found = [...walk(openApiSchema(crd))].find((n) => n.path === path);
  if (!found) throw new Error(`no schema node at ${path}`);
  return found.node;
}

function rule(crd: JsonSchema, path: string): string {
  const rules = nodeAt(crd, path)['x-kubernetes-validations'] as { rule: string }[];
  return rules[0]!.rule;
}

const template = { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } } };
const workflowWith = (spec: Record<string, unknown>) => ({ metadata: { name: 'w', namespace: 'default' }, spec: { template, ...spec } });

describe('committed CRDs', () => {
  it('are exactly the two generated ones', () => {
    expect(readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort()).toEqual([...customResourceDefinitions.keys()].sort());
  });

  for (const [file, crd] of customResourceDefinitions) {
    it(`crds/${file} is what src/api generates`, async () => {
      await expect(header(file) + stringify(crd, { lineWidth: 0 })).toMatchFileSnapshot(join(crdDir, file));
    });
  }
});

describe('generated schemas', () => {
  for (const [file, crd] of customResourceDefinitions) {
    const schema = openApiSchema(crd);

    it(`${file}: every field has a type (or preserves unknown fields) and a description`, () => {
      for (const { path, node, via } of walk(schema)) {
        const typed = typeof node['type'] === 'string' || node['x-kubernetes-preserve-unknown-fields'] === true;
        expect(typed, `${path} has no type`).toBe(true);
        if (via === 'property' && path !== 'metadata') expect(node['description'], `${path} has no description`).toEqual(expect.any(String));
        if (node['properties']) expect(node['additionalProperties'], `${path}: properties with additionalProperties`).toBeUndefined();
      }
    });

    it(`${file}: every default validates against its own field`, () => {
      const defaults = [...walk(schema)].filter((n) => n.node['default'] !== undefined);
      expect(defaults.length).toBeGreaterThan(0);
      for (const { path, node } of defaults) expect(validate(node['default'], node, path)).toEqual([]);
    });

    it(`${file}: CEL rules only iterate bounded lists`, () => {
      for (const { path, node } of walk(schema)) {
        const rules = (node['x-kubernetes-validations'] ?? []) as { rule: string }[];
        for (const { rule: text } of rules) {
          if (/\.(all|exists|exists_one|map|filter)\(/.test(text)) expect(node['maxItems'], `${path}: ${text}`).toEqual(expect.any(Number));
        }
      }
    });
  }

  it('names, scope, subresource and printer columns are as SPEC §1 says', () => {
    const summary = (crd: JsonSchema) => {
      const spec = crd['spec'] as {
        scope: string;
        names: { shortNames: string[]; categories: string[] };
        versions: { name: string; subresources: unknown; additionalPrinterColumns: { name: string; jsonPath: string; priority?: number }[] }[];
      };
      const v = spec.versions[0]!;
      return {
        scope: spec.scope,
        shortNames: spec.names.shortNames,
        categories: spec.names.categories,
        version: v.name,
        subresources: v.subresources,
        columns: v.additionalPrinterColumns.filter((c) => !c.priority).map((c) => `${c.name.toUpperCase()} ${c.jsonPath}`),
      };
    };
    expect(summary(workflowCrd)).toEqual({
      scope: 'Namespaced',
      shortNames: ['swf'],
      categories: ['sluice'],
      version: 'v1alpha1',
      subresources: { status: {} },
      columns: ['READY .status.conditions[?(@.type=="Ready")].status', 'RUNNING .status.runs.running', 'QUEUED .status.runs.queued', 'AGE .metadata.creationTimestamp'],
    });
    expect(summary(workflowRunCrd)).toEqual({
      scope: 'Namespaced',
      shortNames: ['swfr'],
      categories: ['sluice'],
      version: 'v1alpha1',
      subresources: { status: {} },
      columns: ['WORKFLOW .spec.workflowRef.name', 'PHASE .status.phase', 'KEY .status.concurrencyKeys[0].key', 'REASON .status.reason', 'AGE .metadata.creationTimestamp'],
    });
  });

  it('makes a run spec immutable and lets any JSON object through as input', () => {
    expect(nodeAt(workflowRunCrd, 'spec')['x-kubernetes-validations']).toEqual([{ rule: 'self == oldSelf', message: 'spec is immutable' }]);
    // A typed map (not an object with x-kubernetes-preserve-unknown-fields): the
    // API server's CEL equality compares an unknown-fields object by its size and
    // the keys of one side only, so renaming an input key would pass self == oldSelf.
    expect(nodeAt(workflowRunCrd, 'spec.input')).toMatchObject({ type: 'object', additionalProperties: { 'x-kubernetes-preserve-unknown-fields': true } });
    expect(nodeAt(workflowCrd, 'spec.template')).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(nodeAt(workflowCrd, 'spec.template')['properties']).toBeUndefined();
  });
});

describe('CEL rules and zod agree', () => {
  const unique = rule(workflowCrd, 'spec.concurrency');
  const entries = (...expressions: (string | undefined)[]) => expressions.map((e) => ({ ...(e === undefined ? {} : { expression: e }), maxRuns: 1 }));

  it.each([
    ['no entries', entries()],
    ['distinct expressions', entries('input.a', 'input.b', "'constant'")],
    ['the same expression twice', entries('input.a', 'input.b', 'input.a')],
    ['two defaulted expressions', entries(undefined, undefined)],
    ['a defaulted and an explicit constant', entries(undefined, "'constant'")],
  ])('unique expressions: %s', (_name, concurrency) => {
    const parsed = parseWorkflow(workflowWith({ concurrency }));
    // The API server applies defaults before it runs CEL rules; so does zod.
    const defaulted = concurrency.map((e) => ({ expression: "'constant'", ...e }));
    expect(evaluate(unique, { self: defaulted })).toBe(parsed.ok);
  });

  const timeout = rule(workflowCrd, 'spec.scheduleTimeout');
  it.each(['5m', '1h30m', '1.5h', '300ms', '0s', '0h0m', '1ns'])('scheduleTimeout %s', (value) => {
    expect(evaluate(timeout, { self: value })).toBe(parseWorkflow(workflowWith({ scheduleTimeout: value })).ok);
  });

  it('self == oldSelf holds only for an equal spec', () => {
    const immutable = rule(workflowRunCrd, 'spec');
    const spec = { workflowRef: { name: 'w' }, input: { a: 1 }, priority: 1 };
    expect(evaluate(immutable, { self: spec, oldSelf: structuredClone(spec) })).toBe(true);
    expect(evaluate(immutable, { self: { ...spec, input: { b: 1 } }, oldSelf: spec })).toBe(false);
    expect(parseWorkflowRun({ metadata: { name: 'r' }, spec }).ok).toBe(true);
  });
});
