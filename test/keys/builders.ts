// Test helpers for keys: variables of a run, and compiling that must succeed.
import { compileConcurrencyExpression, type KeyProgram, type KeyVariables } from '../../src/keys/index.ts';

/** The variables of a run named "run-1" in namespace "team-a", with the given input and overrides. */
export function variables(input: Record<string, unknown> = {}, overrides: Partial<KeyVariables> = {}): KeyVariables {
  return {
    input,
    additional_metadata: { source: 'webhook' },
    workflow_run_id: 'run-1',
    metadata: { name: 'run-1', namespace: 'team-a', labels: { team: 'payments', 'app.kubernetes.io/name': 'shop' }, annotations: { note: 'hello' } },
    ...overrides,
  };
}

export function compiled(expression: string): KeyProgram {
  const result = compileConcurrencyExpression(expression);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(expression)} to compile, got: ${result.error}`);
  return result.program;
}

/** `left + sep + left + …`, as long as it stays within max characters. */
export function repeated(term: string, separator: string, max: number): string {
  let out = term;
  while (out.length + separator.length + term.length <= max) out += separator + term;
  return out;
}
