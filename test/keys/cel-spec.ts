// The official CEL conformance tests (@bufbuild/cel-spec, cel-spec v0.25.1) in
// the proto3 JSON form they ship in, and the conversions between their values
// and the CEL library's JavaScript values. Only what the sections keys use need.
import { UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import { tests as conformance } from '@bufbuild/cel-spec/testdata/conformance.js';

/** A CEL value in proto3 JSON (cel.expr.Value). */
export type SpecValue = {
  int64Value?: string;
  uint64Value?: string;
  doubleValue?: number | string;
  stringValue?: string;
  bytesValue?: string;
  boolValue?: boolean;
  nullValue?: string | null;
  listValue?: { values?: SpecValue[] };
  mapValue?: { entries?: { key: SpecValue; value: SpecValue }[] };
  typeValue?: string;
  [other: string]: unknown;
};

export type SpecType = {
  primitive?: string;
  listType?: { elemType: SpecType };
  mapType?: { keyType: SpecType; valueType: SpecType };
  [other: string]: unknown;
};

export interface SpecTest {
  /** section/suite/name */
  id: string;
  section: string;
  expr: string;
  typeEnv: { name: string; ident?: { type: SpecType } }[];
  bindings: Record<string, { value?: SpecValue }>;
  value?: SpecValue;
  evalError?: unknown;
}

interface RawSuite {
  name: string;
  suites?: RawSuite[];
  tests?: { original: Record<string, unknown> }[];
}

/** Every test of the named sections, flattened. */
export function specTests(sections: readonly string[]): SpecTest[] {
  const out: SpecTest[] = [];
  const walk = (suite: RawSuite, path: string[]) => {
    for (const { original } of suite.tests ?? []) {
      out.push({
        id: [...path, String(original['name'])].join('/'),
        section: path[0] ?? '',
        expr: String(original['expr']),
        typeEnv: (original['typeEnv'] as SpecTest['typeEnv'] | undefined) ?? [],
        bindings: (original['bindings'] as SpecTest['bindings'] | undefined) ?? {},
        value: original['value'] as SpecValue | undefined,
        evalError: original['evalError'],
      });
    }
    for (const child of suite.suites ?? []) walk(child, [...path, child.name]);
  };
  for (const section of (conformance as RawSuite).suites ?? []) if (sections.includes(section.name)) walk(section, [section.name]);
  return out;
}

const primitives: Record<string, string> = { INT64: 'int', UINT64: 'uint', DOUBLE: 'double', STRING: 'string', BOOL: 'bool', BYTES: 'bytes' };

/** The library's name for a declared type, or undefined when the test needs one it cannot declare. */
export function celTypeName(type: SpecType): string | undefined {
  if (type.primitive) return primitives[type.primitive];
  if (type.listType) {
    const element = celTypeName(type.listType.elemType);
    return element && `list<${element}>`;
  }
  if (type.mapType) {
    const key = celTypeName(type.mapType.keyType);
    const value = celTypeName(type.mapType.valueType);
    return key && value && `map<${key}, ${value}>`;
  }
  return undefined;
}

function specDouble(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A binding's value as the library takes it. */
export function toJs(value: SpecValue): unknown {
  if (value.int64Value !== undefined) return BigInt(value.int64Value);
  if (value.uint64Value !== undefined) return new UnsignedInt(BigInt(value.uint64Value));
  if (value.doubleValue !== undefined) return specDouble(value.doubleValue);
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.bytesValue !== undefined) return new Uint8Array(Buffer.from(value.bytesValue, 'base64'));
  if (value.boolValue !== undefined) return value.boolValue;
  if ('nullValue' in value) return null;
  if (value.listValue) return (value.listValue.values ?? []).map(toJs);
  if (value.mapValue) return Object.fromEntries((value.mapValue.entries ?? []).map((e) => [String(toJs(e.key)), toJs(e.value)]));
  throw new Error(`unsupported value ${JSON.stringify(value)}`);
}

function entriesOf(actual: unknown): [unknown, unknown][] | undefined {
  if (actual instanceof Map) return [...actual.entries()];
  if (actual !== null && typeof actual === 'object' && !Array.isArray(actual) && [Object.prototype, null].includes(Object.getPrototypeOf(actual))) {
    return Object.entries(actual);
  }
  return undefined;
}

/** Whether the library's result is the expected CEL value (map keys compared by their string form, as JS objects hold them). */
export function sameValue(expected: SpecValue, actual: unknown): boolean {
  if (expected.int64Value !== undefined) return typeof actual === 'bigint' && actual === BigInt(expected.int64Value);
  if (expected.uint64Value !== undefined) return actual instanceof UnsignedInt && actual.valueOf() === BigInt(expected.uint64Value);
  if (expected.doubleValue !== undefined) {
    const want = specDouble(expected.doubleValue);
    return typeof actual === 'number' && (actual === want || (Number.isNaN(actual) && Number.isNaN(want)));
  }
  if (expected.stringValue !== undefined) return actual === expected.stringValue;
  if (expected.bytesValue !== undefined) return actual instanceof Uint8Array && Buffer.from(actual).equals(Buffer.from(expected.bytesValue, 'base64'));
  if (expected.boolValue !== undefined) return actual === expected.boolValue;
  if ('nullValue' in expected) return actual === null;
  if (expected.typeValue !== undefined) return (actual as { name?: unknown } | null)?.name === expected.typeValue;
  if (expected.listValue) {
    const want = expected.listValue.values ?? [];
    return Array.isArray(actual) && actual.length === want.length && want.every((v, i) => sameValue(v, actual[i]));
  }
  if (expected.mapValue) {
    const want = expected.mapValue.entries ?? [];
    const got = entriesOf(actual);
    if (!got || got.length !== want.length) return false;
    return want.every((e) => {
      const match = got.find(([k]) => String(k) === String(toJs(e.key)));
      return match !== undefined && sameValue(e.value, match[1]);
    });
  }
  return false;
}
