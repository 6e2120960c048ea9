// Validation of what the operator reads, as a result value: the object with
// defaults applied, or one message that names every bad field by its path
// (`spec.concurrency[1].maxRuns: ...`), the way the API server words it.
import type { z } from 'zod';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** `spec.concurrency[1].maxRuns` for the path ['spec', 'concurrency', 1, 'maxRuns']. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(String(part))}]`;
  }
  return text === '' ? '(root)' : text;
}

const maxIssues = 10;

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, maxIssues).map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
  if (issues.length > maxIssues) shown.push(`and ${issues.length - maxIssues} more`);
  return shown.join('; ');
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error.issues) };
}
