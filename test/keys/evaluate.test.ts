// Evaluating keys (SPEC §2): each variable, the conversion of scalars to their
// CEL string form, and every result that is not a key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateKey } from '../../src/keys/index.ts';
import { compiled, variables } from './builders.ts';

function key(expression: string, input: Record<string, unknown> = {}): string {
  const result = evaluateKey(compiled(expression), variables(input));
  if (!result.ok) throw new Error(`expected a key from ${JSON.stringify(expression)}, got: ${result.error}`);
  return result.key;
}

function failure(expression: string, input: Record<string, unknown> = {}): string {
  const result = evaluateKey(compiled(expression), variables(input));
  if (result.ok) throw new Error(`expected ${JSON.stringify(expression)} to fail, got key ${JSON.stringify(result.key)}`);
  return result.error;
}

describe('evaluateKey', () => {
  it.each([
    ['input.group_key', { group_key: 'tenant-a' }, 'tenant-a'],
    ['input.nested.deep[1]', { nested: { deep: ['a', 'b'] } }, 'b'],
    ['additional_metadata.source', {}, 'webhook'],
    ['workflow_run_id', {}, 'run-1'],
    ['metadata.name', {}, 'run-1'],
    ['metadata.namespace', {}, 'team-a'],
    ['metadata.labels.team', {}, 'payments'],
    ["metadata.labels['app.kubernetes.io/name']", {}, 'shop'],
    ['metadata.annotations.note', {}, 'hello'],
    ['has(metadata.labels.missing) ? "yes" : "no"', {}, 'no'],
    ['input.tier + "-" + input.account', { tier: 'gold', account: 'a1' }, 'gold-a1'],
    ['input.tags.filter(t, t.startsWith("env:")).map(t, t.substring(4)).join("+")', { tags: ['env:prod', 'x', 'env:eu'] }, 'prod+eu'],
    ['input.path.split("/")[1]', { path: 'org/repo/file' }, 'repo'],
    ['input.tags.exists(t, t == "urgent") ? "fast" : "slow"', { tags: ['urgent'] }, 'fast'],
    ['input.email.matches("@example\\\\.com$") ? "internal" : "external"', { email: 'a@example.com' }, 'internal'],
    ['matches(input.email, "^a@") ? "a" : "other"', { email: 'a@example.com' }, 'a'],
  ])('%s gives the key', (expression, input, expected) => {
    expect(key(expression, input)).toBe(expected);
  });

  describe('converts scalars to their CEL string form', () => {
    it.each([
      ['int(input.n)', { n: 42 }, '42'],
      ['-9223372036854775808', {}, '-9223372036854775808'],
      ['18446744073709551615u', {}, '18446744073709551615'],
      ['uint(input.n)', { n: 7 }, '7'],
      ['true', {}, 'true'],
      ['input.flag', { flag: false }, 'false'],
      // JSON numbers are doubles; CEL's string(double) writes whole ones without a fraction.
      ['input.n', { n: 42 }, '42'],
      ['input.n', { n: 42.5 }, '42.5'],
      ['input.n', { n: -0.0045 }, '-0.0045'],
      ['input.n', { n: 1e21 }, '1e+21'],
      ['input.n', { n: 1234567 }, '1234567'],
      ['1.0 / 0.0', {}, '+Inf'],
      ['-1.0 / 0.0', {}, '-Inf'],
      ['0.0 / 0.0', {}, 'NaN'],
    ])('%s with %j is %j', (expression, input, expected) => {
      expect(key(expression, input)).toBe(expected);
    });

    it('gives a double the same key as string() of it, whatever the double', () => {
      const asKey = compiled('input.d');
      const asString = compiled('string(input.d)');
      fc.assert(
        fc.property(fc.double({ noNaN: true }), (d) => {
          const vars = variables({ d });
          expect(evaluateKey(asKey, vars)).toEqual(evaluateKey(asString, vars));
        }),
      );
    });
  });

  it.each([
    ['input.list', { list: [1] }, 'a list'],
    ['input.map', { map: { a: 1 } }, 'a map'],
    ['input.nothing', { nothing: null }, 'null'],
    ['dyn(b"x")', {}, 'bytes'],
    ['dyn(timestamp("2024-01-01T00:00:00Z"))', {}, 'a timestamp'],
    ['dyn(duration("1s"))', {}, 'a duration'],
    ['dyn(type(1))', {}, 'a type'],
  ])('refuses %s, which evaluates to %s', (expression, input, what) => {
    expect(failure(expression, input)).toBe(`the expression evaluated to ${what}; a concurrency key must be a string, or an int, uint, double or bool (converted to a string)`);
  });

  it('allows a key of 256 characters and refuses 257', () => {
    expect(key('input.s', { s: 'k'.repeat(256) })).toHaveLength(256);
    expect(failure('input.s', { s: 'k'.repeat(257) })).toBe('the key is 257 characters long; at most 256 are allowed');
    expect(failure('input.s + "!"', { s: 'k'.repeat(256) })).toBe('the key is 257 characters long; at most 256 are allowed');
  });

  it.each([
    ['input.grop_key', { group_key: 'a' }, 'No such key: grop_key at column 7'],
    ['input.n + 1', { n: 1 }, 'no such overload: dyn<double> + int at column 1'],
    ['int(input.s)', { s: 'x' }, 'int() type error: cannot convert to int at column 1'],
    ['input.tags[5]', { tags: ['a'] }, 'No such key: index out of bounds, index 5 >= size 1 at column 1'],
    ['"x" + input.tags.map(t, input.other.z).join()', { tags: ['a'], other: {} }, /^No such key: z at column 37$/],
    ['input.s.matches(input.pattern) ? "y" : "n"', { s: 'a', pattern: '(' }, /^error parsing regexp: missing closing \): `\(` at column 1$/],
    ['input.l.join("")', { l: ['a', 1] }, 'join(): list must contain only strings at column 1'],
  ])('reports %s failing at run time with the CEL error and its column', (expression, input, message) => {
    expect(failure(expression, input)).toMatch(message);
  });

  it('never throws, and keeps the same key for the same run', () => {
    const program = compiled('input.group_key');
    const vars = variables({ group_key: 'g' });
    expect(evaluateKey(program, vars)).toEqual(evaluateKey(program, vars));
  });
});
