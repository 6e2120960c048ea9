// What SPEC §2 checks when a Workflow is seen: length, variables, functions,
// macro nesting, `matches`, and a result that can be a key. Every refusal
// names the problem and where it is.
import { describe, expect, it } from 'vitest';
import { compileConcurrencyExpression } from '../../src/keys/index.ts';
import { compiled, repeated } from './builders.ts';

function refusal(expression: string): string {
  const result = compileConcurrencyExpression(expression);
  if (result.ok) throw new Error(`expected ${JSON.stringify(expression)} to be refused`);
  return result.error;
}

describe('compileConcurrencyExpression', () => {
  it.each([
    ['input.group_key'],
    ["'constant'"],
    ['additional_metadata.source'],
    ['workflow_run_id'],
    ['metadata.name + "/" + metadata.namespace'],
    ["metadata.labels['app.kubernetes.io/name']"],
    ['metadata.annotations.note'],
    ['int(input.n) + 1'],
    ['has(input.tenant) ? input.tenant : "none"'],
    ['input.tier + "-" + input.account'],
    ['input.tags.join(",")'],
    ['input.path.split("/")[0]'],
    ['input.tags.exists(t, t == "urgent")'],
    ['input.email.matches("@example\\\\.com$")'],
    ['size(input.items)'],
    ['input.name.lowerAscii().trim()'],
  ])('accepts %s', (expression) => {
    expect(compileConcurrencyExpression(expression)).toMatchObject({ ok: true });
  });

  it.each([
    ['inptu.group_key', /^Unknown variable: inptu at column 1 \(the variables are input, additional_metadata, workflow_run_id, metadata\)$/],
    ['input.a + group_key', /^Unknown variable: group_key at column 11/],
    ['metadata.nmae', /^No such key: nmae at column 10$/],
    ['foo(input.a)', /^unknown function 'foo' at column 1$/],
    ['input.a.lowercase()', /^unknown function 'lowercase' at column 1$/],
    ['b"x".hex()', /^function 'hex' is not available in concurrency keys at column 1$/],
    ['b"{}".json()', /^function 'json' is not available in concurrency keys/],
    ['cel.bind(x, input.a, x + x)', /^cel\.bind is not available in concurrency keys at column 1$/],
    ['__sluice_join(["a"])', /^unknown function '__sluice_join' at column 1$/],
    ['input.a +', /^Unexpected token: EOF at column 10$/],
    ['"abc" + 1', /^no such overload: string \+ int at column 1$/],
    ['input.a.matches("(")', /^invalid regular expression at column 17: error parsing regexp: missing closing \): `\(`$/],
    ['input.a.matches("(?<=a)b")', /^invalid regular expression at column 17/],
    ['input.a +\n  nope', /^Unknown variable: nope at line 2, column 3/],
  ])('refuses %j, naming the problem and where', (expression, message) => {
    expect(refusal(expression)).toMatch(message);
  });

  it('refuses expressions over 1,024 characters, and accepts 1,024', () => {
    const longest = `'${'a'.repeat(1022)}'`;
    expect(longest).toHaveLength(1024);
    expect(compileConcurrencyExpression(longest)).toMatchObject({ ok: true });
    expect(refusal(`'${'a'.repeat(1023)}'`)).toBe('the expression is 1025 characters long; at most 1024 are allowed');
  });

  it.each([
    ['[1, 2]', 'list<int>'],
    ['{"a": "b"}', 'map<string, string>'],
    ['null', 'null'],
    ['b"bytes"', 'bytes'],
    ['timestamp("2024-01-01T00:00:00Z")', 'google.protobuf.Timestamp'],
    ['duration("1s")', 'google.protobuf.Duration'],
    ['type(1)', 'type'],
    ['input.tags.map(t, t)', 'list'],
    ['metadata.labels', 'map<string, string>'],
  ])('refuses %s, whose type %s cannot be a key', (expression, type) => {
    expect(refusal(expression)).toBe(`the expression's type is ${type}; a concurrency key must be a string, or an int, uint, double or bool (converted to a string)`);
  });

  it.each(['1', '1u', '1.5', 'true', 'input.anything', 'dyn([1])'])('accepts %s, whose type can be a key or is known only at run time', (expression) => {
    expect(compileConcurrencyExpression(expression)).toMatchObject({ ok: true });
  });

  describe('macro nesting', () => {
    it('accepts two levels', () => {
      expect(compiled('input.a.exists(x, input.b.exists(y, x == y)) ? "both" : "no"').path).toBe('guarded');
      expect(compileConcurrencyExpression('input.a.map(x, input.b.filter(y, y == x).size()).size()')).toMatchObject({ ok: true });
    });

    it('refuses three, naming the innermost and the chain', () => {
      expect(refusal('input.a.map(x, input.b.map(y, input.c.map(z, z).size()).size()).size()')).toBe(
        "comprehension macros are nested 3 deep at column 31 ('map' inside 'map' inside 'map'); at most 2 levels are allowed",
      );
      expect(refusal('input.a.all(x, input.b.exists(y, input.c.exists_one(z, z == y)))')).toMatch(/nested 3 deep .*'exists_one' inside 'exists' inside 'all'/);
      expect(refusal('input.a.filter(x, x.b.exists(y, y.c.map(z, z, z).size() > 0)).size()')).toMatch(/nested 3 deep/);
    });

    it('counts only bodies: a receiver runs once, so a chain of macros is one level', () => {
      expect(compileConcurrencyExpression('input.a.map(x, x).filter(y, y != "").map(z, z).exists(w, w == "k")')).toMatchObject({ ok: true });
      expect(compileConcurrencyExpression('input.a.map(x, x).exists(y, input.b.map(z, z).exists(w, w == y))')).toMatchObject({ ok: true });
    });
  });

  describe('evaluation path', () => {
    it.each([
      ['input.group_key', 'direct'],
      ['input.tier + "-" + input.account', 'direct'],
      ['metadata.labels.team', 'direct'],
      ['input.tags.join(",")', 'direct'],
      ['input.tags.exists(t, t == "x") ? "x" : "y"', 'guarded'],
      ['input.a.matches("^x") ? "x" : "y"', 'guarded'],
      // Copies grow quadratically with the length of a chain of concatenations.
      [`string(size(${repeated('input.l', ' + ', 200)}))`, 'guarded'],
      // additionalMetadata has no size bound but the API server's.
      ['additional_metadata.a + additional_metadata.b', 'guarded'],
    ])('%s is %s', (expression, path) => {
      expect(compiled(expression).path).toBe(path);
    });
  });
});
