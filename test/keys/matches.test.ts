// `matches` runs on RE2 (re2js): CEL's regular expression syntax, matching
// any part of the string, in time linear in the input.
import { describe, expect, it } from 'vitest';
import { compileConcurrencyExpression, evaluateKey } from '../../src/keys/index.ts';
import { regexCacheSize } from '../../src/keys/limits.ts';
import { compiled, variables } from './builders.ts';

function matches(text: string, pattern: string): boolean | string {
  const result = evaluateKey(compiled('input.text.matches(input.pattern)'), variables({ text, pattern }));
  return result.ok ? result.key === 'true' : result.error;
}

describe('matches', () => {
  it.each([
    ['tenant-42', '\\d+', true],
    ['tenant-42', '^\\d+$', false],
    ['Tenant', '(?i)^tenant$', true],
    ['a.b', 'a\\.b', true],
    ['axb', 'a\\.b', false],
    ['ünïcödé', '^\\pL+$', true],
    ['', '^$', true],
  ])('%j matches %j: %s', (text, pattern, expected) => {
    expect(matches(text, pattern)).toBe(expected);
  });

  it('refuses what RE2 does not support, at run time for a pattern from input', () => {
    expect(matches('ab', 'a(?=b)')).toMatch(/^error parsing regexp: invalid or unsupported Perl syntax: `\(\?=` at column 1$/);
    expect(matches('aa', '(a)\\1')).toMatch(/^error parsing regexp/);
  });

  it('refuses it when the Workflow is checked for a literal pattern, naming the column', () => {
    expect(compileConcurrencyExpression('input.a.matches("a(?=b)")')).toEqual({
      ok: false,
      error: 'invalid regular expression at column 17: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    });
    expect(compileConcurrencyExpression('matches(input.a, "[")')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid regular expression at column 18/) });
  });

  it('keeps giving the same answers when more patterns are used than it keeps compiled', () => {
    for (let i = 0; i < regexCacheSize * 2; i++) expect(matches(`v${i}`, `^v${i}$`)).toBe(true);
    expect(matches('v0', '^v0$')).toBe(true);
    expect(matches('v1', '^v0$')).toBe(false);
  });
});
