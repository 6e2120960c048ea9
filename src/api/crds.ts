// The CustomResourceDefinitions, generated from the zod schemas of
// workflow.ts and workflow-run.ts: those are the one source of truth, and
// crds/*.yaml is this module's output, committed so that `kubectl apply -f
// crds/` works without building anything. test/api/crds.test.ts fails when the
// committed files differ from what this module generates.
//
// z.toJSONSchema gives JSON Schema 2020-12; a CRD needs a *structural* OpenAPI
// v3 schema. structuralSchema() converts, and refuses anything it cannot
// express structurally (unions, references, untyped fields) rather than emit a
// schema the API server would reject or, worse, silently prune with.
import { z } from 'zod';
import { apiVersion, group, kinds, plurals, version } from './vocabulary.ts';
import { workflowSpecSchema, workflowStatusSchema } from './workflow.ts';
import { workflowRunSpecSchema, workflowRunStatusSchema } from './workflow-run.ts';

export type JsonSchema = { [keyword: string]: unknown };

/** The keywords a structural schema may use, in the order they are written. */
const keywordOrder = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'properties',
  'items',
  'additionalProperties',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
] as const;

const preserveUnknown = 'x-kubernetes-preserve-unknown-fields';

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ordered(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const keyword of keywordOrder) if (node[keyword] !== undefined) out[keyword] = node[keyword];
  return out;
}

/**
 * Converts one node of zod's JSON Schema to a structural schema node:
 * - an object marked x-kubernetes-preserve-unknown-fields keeps only its type,
 *   description and validations (the API server stores what is below as is);
 * - an empty schema (any JSON value, as in z.record(z.string(), z.unknown()))
 *   becomes an untyped node that preserves unknown fields;
 * - zod's implicit bounds of z.int() (±2^53-1) and its propertyNames are dropped,
 *   and so is the pattern of a date-time (the format checks it);
 * - any other keyword is an error naming the field.
 */
export function structuralSchema(node: JsonSchema, path = '(root)'): JsonSchema {
  const { $schema: _schema, propertyNames: _names, ...rest } = node;
  if (Object.keys(rest).filter((k) => k !== 'description').length === 0) {
    return ordered({ ...rest, [preserveUnknown]: true });
  }
  if (rest[preserveUnknown] === true) {
    if (rest['type'] !== 'object') throw new Error(`${path}: ${preserveUnknown} is only used on objects here`);
    return ordered({ description: rest['description'], type: 'object', [preserveUnknown]: true, 'x-kubernetes-validations': rest['x-kubernetes-validations'] });
  }
  const unknown = Object.keys(rest).filter((k) => !(keywordOrder as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`${path}: cannot express ${unknown.join(', ')} in a structural schema`);
  if (typeof rest['type'] !== 'string') throw new Error(`${path}: every field needs a type`);

  const out: JsonSchema = { ...rest };
  if (out['minimum'] === Number.MIN_SAFE_INTEGER) delete out['minimum'];
  if (out['maximum'] === Number.MAX_SAFE_INTEGER) delete out['maximum'];
  if (out['format'] === 'date-time') delete out['pattern'];
  if (isSchema(rest['properties'])) {
    if (rest['additionalProperties'] !== undefined) throw new Error(`${path}: properties and additionalProperties together are not structural`);
    out['properties'] = Object.fromEntries(Object.entries(rest['properties']).map(([name, child]) => [name, structuralSchema(child as JsonSchema, `${path}.${name}`)]));
  }
  if (isSchema(rest['items'])) out['items'] = structuralSchema(rest['items'], `${path}[]`);
  if (isSchema(rest['additionalProperties'])) out['additionalProperties'] = structuralSchema(rest['additionalProperties'], `${path}{}`);
  else if (rest['additionalProperties'] !== undefined) throw new Error(`${path}: additionalProperties must be a schema`);
  return ordered(out);
}

/** The structural schema of a zod schema, as a request would be validated against it (defaults, optional fields). */
export function crdSchemaOf(schema: z.ZodType, path: string): JsonSchema {
  return structuralSchema(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonSchema, path);
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

interface ResourceDefinition {
  kind: string;
  plural: string;
  shortName: string;
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  columns: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };

function customResourceDefinition(r: ResourceDefinition): JsonSchema {
  const singular = r.kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${r.plural}.${group}`, labels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/part-of': 'sluice' } },
    spec: {
      group,
      names: { kind: r.kind, listKind: `${r.kind}List`, plural: r.plural, singular, shortNames: [r.shortName], categories: ['sluice'] },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: r.columns.map((c) => ({ name: c.name, type: c.type, jsonPath: c.jsonPath, description: c.description, ...(c.priority ? { priority: c.priority } : {}) })),
          schema: {
            openAPIV3Schema: {
              description: r.description,
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { description: `The versioned schema of this object: ${apiVersion}.`, type: 'string' },
                kind: { description: `The REST resource this object represents: ${r.kind}.`, type: 'string' },
                // The API server allows nothing on metadata but its type (and name rules).
                metadata: { type: 'object' },
                spec: crdSchemaOf(r.spec, `${r.kind}.spec`),
                status: crdSchemaOf(r.status, `${r.kind}.status`),
              },
            },
          },
        },
      ],
    },
  };
}

export const workflowCrd = customResourceDefinition({
  kind: kinds.workflow,
  plural: plurals.workflows,
  shortName: 'swf',
  description:
    'A Workflow declares how many of its runs may run at once, per group of runs computed by a CEL expression over the run, and what to do when a group is full; ' +
    'each admitted WorkflowRun becomes a Job built from its template.',
  spec: workflowSpecSchema,
  status: workflowStatusSchema,
  columns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether the concurrency expressions and inputSchema are valid.' },
    { name: 'Running', type: 'integer', jsonPath: '.status.runs.running', description: 'Runs whose Job runs.' },
    { name: 'Queued', type: 'integer', jsonPath: '.status.runs.queued', description: 'Runs waiting for a slot.' },
    { name: 'Groups', type: 'integer', jsonPath: '.status.activeGroups', description: 'Concurrency groups with queued or running runs.', priority: 1 },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why the Workflow is or is not Ready.', priority: 1 },
    age,
  ],
});

export const workflowRunCrd = customResourceDefinition({
  kind: kinds.workflowRun,
  plural: plurals.workflowRuns,
  shortName: 'swfr',
  description:
    'A WorkflowRun asks for one execution of a Workflow. The operator queues it in its concurrency groups, admits it as a Job when they have room, ' +
    'or cancels it as the limit strategy says; status.phase, reason and message tell which, and why.',
  spec: workflowRunSpecSchema,
  status: workflowRunStatusSchema,
  columns: [
    { name: 'Workflow', type: 'string', jsonPath: '.spec.workflowRef.name', description: 'The Workflow this run belongs to.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Queued, Running, Succeeded, Failed or Cancelled.' },
    { name: 'Key', type: 'string', jsonPath: '.status.concurrencyKeys[0].key', description: 'The concurrency key under the first entry.' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'Why the run is in its phase.' },
    { name: 'Priority', type: 'integer', jsonPath: '.spec.priority', description: 'The run priority, 1 to 3.', priority: 1 },
    { name: 'Job', type: 'string', jsonPath: '.status.jobName', description: "The run's Job.", priority: 1 },
    { name: 'Message', type: 'string', jsonPath: '.status.message', description: 'The reason in words.', priority: 1 },
    age,
  ],
});

/** Every CRD, by the file name it is committed under in crds/. */
export const customResourceDefinitions: ReadonlyMap<string, JsonSchema> = new Map([
  [`${plurals.workflows}.${group}.yaml`, workflowCrd],
  [`${plurals.workflowRuns}.${group}.yaml`, workflowRunCrd],
]);
