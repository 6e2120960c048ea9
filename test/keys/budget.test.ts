// Bounded evaluation (SPEC §2): no expression and no input stalls the
// operator. Each hostile case must come back promptly as an evaluation error
// (the run then fails with ConcurrencyKeyError), and evaluation must work as
// before afterwards. The limits themselves are in src/keys/limits.ts.
import { describe, expect, it } from 'vitest';
import { evaluateKey, type KeyResult } from '../../src/keys/index.ts';
import { guardedSizeBudget, guardedTimeoutMs } from '../../src/keys/limits.ts';
import { compiled, repeated, variables } from './builders.ts';

const sizeBudget = `evaluation stopped: its macros went over the size budget of ${guardedSizeBudget} units (the list elements and characters they iterate over or build)`;
const timeBudget = `evaluation stopped: it took longer than its time budget of ${guardedTimeoutMs} ms`;
// No assertion here is on time (the machines are shared and noisy): a budget that
// failed to stop the work would show as the test's own deadline passing.
function timed(expression: string, input: Record<string, unknown>): { result: KeyResult } {
  return { result: evaluateKey(compiled(expression), variables(input)) };
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i);
const big = 'x'.repeat(40_000);

describe('bounded evaluation', () => {
  it.each([
    ['map two deep over 30,000 elements', 'input.l.map(x, input.l.map(y, y + x)).size()', { l: numbers(30_000) }],
    ['exists two deep over 30,000 elements', 'input.l.exists(x, input.l.exists(y, y == -1.0)) ? "a" : "b"', { l: numbers(30_000) }],
    ['filter two deep over 30,000 elements', 'input.l.filter(x, input.l.filter(y, y == x).size() > 1).size()', { l: numbers(30_000) }],
  ])('stops %s', (_, expression, input) => {
    const { result } = timed(expression, input);
    expect(result.ok).toBe(false);
    expect([sizeBudget, timeBudget]).toContain((result as { error: string }).error);
  });

  it('stops a list of large strings before it is joined into one of half a gigabyte', () => {
    const { result } = timed('input.l.map(x, input.s).join().size()', { s: big, l: numbers(12_000) });
    expect(result).toEqual({ ok: false, error: sizeBudget });
  });

  it('stops a string that triples at every map stage before anything reads it', () => {
    const stages = '.map(a, a + a + a)'.repeat(14);
    const { result } = timed(`input.l${stages}.map(a, a.size()).size()`, { l: ['xxxxxxxx'] });
    expect(result).toEqual({ ok: false, error: sizeBudget });
  });

  it('refuses to join a result longer than 64 KiB, even without macros', () => {
    const { result } = timed('input.l.join(input.sep).size()', { sep: 'y'.repeat(16_000), l: Array.from({ length: 16_000 }, () => '') });
    expect(result).toEqual({ ok: false, error: 'join(): the result would be longer than 65536 characters at column 1' });
  });

  it('refuses to split a string longer than 64 KiB', () => {
    const { result } = timed(`(${repeated('input.s', ' + ', 200)}).split("").size()`, { s: big });
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toMatch(/^split\(\): the string is \d+ characters long; at most 65536 can be split at column 2$/);
  });

  it('stops work that takes long per element with the time budget', () => {
    // Each element flattens a 6 MB string: cheap in data, expensive in time.
    const { result } = timed(`input.l.exists(e, (${repeated('input.s', '+', 900)}).size() < 0) ? "a" : "b"`, { s: 'z'.repeat(60_000), l: numbers(1_000) });
    expect(result).toEqual({ ok: false, error: timeBudget });
  });

  it('guards a long chain of concatenations without macros', () => {
    const { result } = timed(`string(size(${repeated('input.l', '+', 1000)}))`, { l: numbers(30_000) });
    // Quadratic copying: on a fast machine it may finish within the budget.
    expect(result.ok ? result.key : result.error).toMatch(new RegExp(`^(\\d+|${timeBudget})$`));
  });

  it('runs matches in linear time: the classic catastrophic pattern returns', () => {
    // With a time budget no machine reaches, a backtracking engine would run into the test's deadline.
    const result = evaluateKey(compiled('input.s.matches("^(a+)+$") ? "match" : "no match"'), variables({ s: `${'a'.repeat(30_000)}!` }), 60_000);
    expect(result).toEqual({ ok: true, key: 'no match' });
  });

  it('lets through what fits in the size budget: two deep over 300 elements', () => {
    // A time budget no machine reaches: this is about the size budget alone.
    const generous = 60_000;
    expect(evaluateKey(compiled('input.l.exists(x, input.l.exists(y, x + y == -1.0)) ? "a" : "b"'), variables({ l: numbers(300) }), generous)).toEqual({ ok: true, key: 'b' });
    expect(evaluateKey(compiled('string(input.l.map(x, input.l.filter(y, y < x).size()).size())'), variables({ l: numbers(300) }), generous)).toEqual({ ok: true, key: '300' });
  });

  it('works as before after budgets were hit', () => {
    const nested = compiled('string(input.l.map(x, input.l.map(y, y + x)).size())');
    const regex = compiled('input.s.matches("^(a+)+$") ? "match" : "no match"');
    expect(evaluateKey(nested, variables({ l: numbers(30_000) })).ok).toBe(false);
    timed(`input.l.exists(e, (${repeated('input.s', '+', 900)}).size() < 0) ? "a" : "b"`, { s: 'z'.repeat(60_000), l: numbers(1_000) });

    expect(evaluateKey(nested, variables({ l: numbers(3) }))).toEqual({ ok: true, key: '3' });
    expect(evaluateKey(regex, variables({ s: 'aaa' }))).toEqual({ ok: true, key: 'match' });
    expect(evaluateKey(compiled('input.group_key'), variables({ group_key: 'g' }))).toEqual({ ok: true, key: 'g' });
    expect(evaluateKey(compiled('input.tags.exists(t, t == "x") ? "x" : "y"'), variables({ tags: ['x'] }))).toEqual({ ok: true, key: 'x' });
  });
});
