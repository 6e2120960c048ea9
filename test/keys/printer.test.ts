// The program sluice runs is the expression as written, printed with the
// bounded methods and, on the guarded path, the size meter.
import { describe, expect, it } from 'vitest';
import { keyEnvironment } from '../../src/keys/environment.ts';
import { originalOffset, printMeteredProgram, printProgram, printsFaithfully } from '../../src/keys/printer.ts';

const parsed = (expression: string) => keyEnvironment.parse(expression).ast;

describe('printer', () => {
  it.each([
    ['input.a', 'input.a'],
    ['a.b + -1 * (c ? d : e)', 'a.b + -(1) * (c ? d : e)'],
    ['(a - b) - (c - d)', 'a - b - (c - d)'],
    ['(a ? b : c) ? (d ? e : f) : (g ? h : i)', '(a ? b : c) ? (d ? e : f) : g ? h : i'],
    ['!!a || -(-b) == (c in d) && (e == f) != g', '!(!a) || -(-b) == c in d && e == f != g'],
    ['(a != b) in c', '(a != b) in c'],
    ['(1).x + (2 + 3).y + -x.z', '(1).x + (2 + 3).y + -x.z'],
    ['input.s.matches("x") || input.l.join("-") == input.s.split(",")[0]', 'input.s.__sluice_matches("x") || input.l.__sluice_join("-") == input.s.__sluice_split(",")[0]'],
    ['!has(input.a) && input.b in [1, 2u]', '!has(input.a) && input.b in [1, 2u]'],
  ])('prints %s as %s, with the same tree', (expression, text) => {
    const printed = printProgram(parsed(expression), expression);
    expect(printed.text).toBe(text);
    expect(printsFaithfully(parsed(expression), parsed(printed.text))).toBe(true);
  });

  it('keeps a long chain of operators within the parser depth limit (parentheses only where needed)', () => {
    const chain = Array.from({ length: 400 }, () => '1').join(' + ');
    expect(printProgram(parsed(chain), chain).text).toBe(chain);
  });

  it('meters what macros iterate over and what map collects', () => {
    const expression = 'input.l.map(x, x.name).filter(n, input.m.exists(y, y == n)).size()';
    expect(printMeteredProgram(parsed(expression), expression).text).toBe(
      '__sluice_iterated(__sluice_iterated(input.l).map(x, __sluice_collected(x.name))).filter(n, __sluice_iterated(input.m).exists(y, y == n)).size()',
    );
  });

  it('maps a position in the printed program back to the expression as written', () => {
    const expression = 'input.a + input.b.c';
    const printed = printProgram(parsed(expression), expression);
    expect(printed.text).toBe('input.a + input.b.c');
    const field = printed.text.lastIndexOf('c');
    expect(originalOffset(printed, field)).toBe(expression.lastIndexOf('c'));

    const spaced = 'input.x.matches(  "a"  )  ||  false';
    const reprinted = printProgram(parsed(spaced), spaced);
    expect(originalOffset(reprinted, reprinted.text.indexOf('false'))).toBe(spaced.indexOf('false'));
  });
});
