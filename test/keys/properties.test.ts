// Properties over random input: whatever JSON a run carries and whatever text
// a Workflow holds, compiling and evaluating return a result value and never
// throw, and the program sluice prints is always the expression as written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCel } from '../../src/keys/compile.ts';
import { keyEnvironment } from '../../src/keys/environment.ts';
import { evaluateProgram } from '../../src/keys/evaluate.ts';
import { compileConcurrencyExpression, evaluateKey, type KeyResult } from '../../src/keys/index.ts';
import { compiled, variables } from './builders.ts';

const expressions = [
  'input.group_key',
  'input.a',
  'string(input.a)',
  'int(input.a)',
  'input.a + "-" + input.b',
  'input.a.b.c',
  'input[input.a]',
  'has(input.a) ? input.a : "none"',
  'input.a == input.b ? "same" : "different"',
  'input.a in input.b ? "in" : "out"',
  'size(input.a)',
  'input.a.join(",")',
  'input.a.split(",")[0]',
  'input.a.lowerAscii()',
  'input.a.matches("^[a-z]+$") ? "word" : "other"',
  'input.a.matches(input.b) ? "y" : "n"',
  'input.a.exists(x, x == input.b) ? "y" : "n"',
  'input.a.map(x, input.a.filter(y, y == x).size()).size()',
  'input.a.filter(x, x != null).map(x, string(x)).join("/")',
  'input.a.all(k, input.a[k] != null) ? "all" : "some"',
  'metadata.labels.team + "/" + additional_metadata.source',
];

const stringMap = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 4 });
const inputs = fc.dictionary(fc.constantFrom('a', 'b', 'group_key', 'c', 'x'), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 });

function isResult(result: KeyResult): boolean {
  return result.ok ? typeof result.key === 'string' && result.key.length <= 256 : typeof result.error === 'string' && result.error.length > 0;
}

describe('properties', () => {
  it('returns a key or an error for any JSON input, never throws', () => {
    const programs = expressions.map(compiled);
    fc.assert(
      fc.property(fc.constantFrom(...programs), inputs, stringMap, stringMap, (program, input, metadata, labels) => {
        const vars = variables(input as Record<string, unknown>, {
          additional_metadata: { source: 's', ...metadata },
          metadata: { name: 'n', namespace: 'ns', labels: { team: 't', ...labels }, annotations: metadata },
        });
        expect(isResult(evaluateKey(program, vars))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  const tokens = [
    'input', 'input.a', 'input.b', '.', 'a', 'x', '(', ')', '[', ']', '{', '}', ',', ':', '?', '+', '-', '*', '/', '%', '!',
    '==', '!=', '<', '&&', '||', 'in', '"s"', "'t'", '1', '2u', '3.5', 'true', 'null', 'b"y"', 'size(', 'string(', 'int(', 'dyn(',
    '.map(x,', '.filter(x,', '.exists(x,', '.all(x,', '.matches(', '.join(', '.split(', 'has(', 'metadata', 'workflow_run_id',
  ];

  /** Expressions from a small CEL grammar, parenthesized only where the generator chose to, to try the printer's precedence. */
  const { expression } = fc.letrec<{ expression: string; operand: string }>((tie) => ({
    expression: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('operand'),
      fc.tuple(tie('operand'), fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '>=', 'in', '&&', '||'), tie('operand')).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(tie('operand'), tie('operand'), tie('operand')).map(([c, a, b]) => `${c} ? ${a} : ${b}`),
      fc.tuple(fc.constantFrom('!', '-'), tie('operand')).map(([op, a]) => `${op}${a}`),
    ),
    operand: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('input.a', 'input.b', 'input', 'x', '1', '-1', '2u', '1.5', '"s"', "'t'", 'true', 'null', 'b"y"', 'workflow_run_id', 'metadata.labels'),
      tie('expression').map((e) => `(${e})`),
      fc.tuple(tie('operand'), fc.constantFrom('a', 'b', 'size()', 'lowerAscii()', 'join(",")', 'split(",")', 'matches("^a")', 'contains("a")')).map(([a, m]) => `${a}.${m}`),
      fc.tuple(tie('operand'), tie('expression')).map(([a, i]) => `${a}[${i}]`),
      fc.tuple(fc.constantFrom('size', 'string', 'int', 'dyn', 'has'), tie('expression')).map(([f, a]) => `${f}(${a})`),
      fc.tuple(tie('operand'), fc.constantFrom('map', 'filter', 'exists', 'all', 'exists_one'), tie('expression')).map(([r, m, b]) => `${r}.${m}(x, ${b})`),
      fc.array(tie('expression'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
      fc.array(fc.tuple(tie('operand'), tie('expression')), { maxLength: 2 }).map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    ),
  }));

  it('never prints a program other than the expression, and evaluates what compiles without throwing', () => {
    let compiledCount = 0;
    fc.assert(
      fc.property(expression, inputs, (text, input) => {
        // Any result type: the printer serves every expression, not only valid keys.
        const result = compileCel(text, keyEnvironment);
        if (!result.ok) {
          expect(result.error).not.toMatch(/faithfully|could not compile/);
          return;
        }
        compiledCount += 1;
        const evaluated = evaluateProgram(result.program, variables(input as Record<string, unknown>));
        expect(evaluated.ok || evaluated.error.length > 0).toBe(true);
      }),
      { numRuns: 3_000 },
    );
    expect(compiledCount).toBeGreaterThan(100);
  });

  it('compiles any text to a program or an error, never throws, and never prints a different program', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 14 }), inputs, (parts, input) => {
        const result = compileConcurrencyExpression(parts.join(' '));
        if (!result.ok) {
          expect(result.error).not.toMatch(/faithfully/);
          return;
        }
        expect(isResult(evaluateKey(result.program, variables(input as Record<string, unknown>)))).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});
