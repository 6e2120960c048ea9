// CEL's `matches` on RE2 (re2js), whose matching time is linear in the input:
// the library's own `matches` uses JavaScript RegExp, which backtracks, so
// `'^(a+)+$'` against "aaaa…!" would stall the operator for good. RE2 is also
// the syntax CEL specifies.
import { EvaluationError } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { regexCacheSize } from './limits.ts';

/** Compiled patterns by source, oldest first (a Map keeps insertion order). */
const compiled = new Map<string, RE2JS>();

function compile(pattern: string): RE2JS {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const regex = RE2JS.compile(pattern);
  if (compiled.size >= regexCacheSize) {
    const [oldest, evicted] = compiled.entries().next().value as [string, RE2JS];
    compiled.delete(oldest);
    // Frees the lazily built DFA at once instead of when the GC gets to it.
    evicted.reset();
  }
  compiled.set(pattern, regex);
  return regex;
}

/** Why RE2 refuses a pattern, or undefined when it compiles: lets a literal pattern fail when the Workflow is checked. */
export function regexError(pattern: string): string | undefined {
  try {
    compile(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** CEL `text.matches(pattern)`: true when the pattern matches any part of the text. */
export function matchesRegex(text: string, pattern: string): boolean {
  let regex: RE2JS;
  try {
    regex = compile(pattern);
  } catch (err) {
    throw new EvaluationError({ code: 'invalid_regular_expression', message: err instanceof Error ? err.message : String(err) });
  }
  return regex.test(text);
}
