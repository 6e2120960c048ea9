// Test helpers over the generated CRD schemas: walk every node, and a small
// validator of the OpenAPI keywords sluice's CRDs use — enough to check that
// defaults and examples fit the CRD itself, independently of the zod schemas.
// It is no API server; the integration tests apply the CRDs to a real one.
import type { JsonSchema } from '../../src/api/index.ts';

export interface SchemaNode {
  path: string;
  node: JsonSchema;
  /** How the node is reached from its parent. */
  via: 'root' | 'property' | 'items' | 'additionalProperties';
}

export function* walk(node: JsonSchema, path = '', via: SchemaNode['via'] = 'root'): Generator<SchemaNode> {
  yield { path, node, via };
  const properties = (node['properties'] ?? {}) as Record<string, JsonSchema>;
  for (const [name, child] of Object.entries(properties)) yield* walk(child, path ? `${path}.${name}` : name, 'property');
  if (node['items']) yield* walk(node['items'] as JsonSchema, `${path}[]`, 'items');
  if (typeof node['additionalProperties'] === 'object') yield* walk(node['additionalProperties'] as JsonSchema, `${path}{}`, 'additionalProperties');
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The problems of `value` against `schema`, as "path: problem" lines (empty when it fits). */
export function validate(value: unknown, schema: JsonSchema, path = '(root)'): string[] {
  const problems: string[] = [];
  const type = schema['type'] as string | undefined;
  if (type === undefined) return schema['x-kubernetes-preserve-unknown-fields'] === true ? [] : [`${path}: schema without type`];
  const actual = typeOf(value);
  if (actual !== type && !(type === 'number' && actual === 'integer')) return [`${path}: expected ${type}, got ${actual}`];
  const enumValues = schema['enum'] as unknown[] | undefined;
  if (enumValues && !enumValues.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(enumValues)}`);
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) problems.push(`${path}: below ${schema['minimum']}`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) problems.push(`${path}: above ${schema['maximum']}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema['minLength'] === 'number' && length < schema['minLength']) problems.push(`${path}: shorter than ${schema['minLength']}`);
    if (typeof schema['maxLength'] === 'number' && length > schema['maxLength']) problems.push(`${path}: longer than ${schema['maxLength']}`);
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) problems.push(`${path}: does not match ${schema['pattern']}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema['maxItems'] === 'number' && value.length > schema['maxItems']) problems.push(`${path}: more than ${schema['maxItems']} items`);
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) problems.push(`${path}: fewer than ${schema['minItems']} items`);
    value.forEach((item, i) => problems.push(...validate(item, schema['items'] as JsonSchema, `${path}[${i}]`)));
  }
  if (actual === 'object' && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    const object = value as Record<string, unknown>;
    for (const name of (schema['required'] ?? []) as string[]) {
      if (object[name] === undefined) problems.push(`${path}.${name}: required`);
    }
    const properties = schema['properties'] as Record<string, JsonSchema> | undefined;
    const additional = schema['additionalProperties'] as JsonSchema | undefined;
    // Only metadata is an object without either: the API server validates it itself.
    if (!properties && !additional) return problems;
    for (const [name, child] of Object.entries(object)) {
      const childSchema = properties?.[name] ?? additional;
      if (childSchema) problems.push(...validate(child, childSchema, `${path}.${name}`));
      else problems.push(`${path}.${name}: unknown field (the API server would prune it)`);
    }
  }
  return problems;
}
