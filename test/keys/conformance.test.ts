// The official CEL conformance tests of the sections concurrency keys use,
// run through the pipeline keys run on: sluice's environment (RE2 matches,
// bounded join/split, the function allow-list), the same compile steps (macro
// nesting, type check, printing) and the same evaluation paths and budgets.
// Only the key-specific last step (result must be a scalar, converted to a
// string) is left out, since these tests expect every kind of value.
//
// A test that expects an evaluation error passes when the expression is
// refused at compile time too: keys always type-check, which catches some of
// those earlier. Failures must match the fixture exactly, so a regression
// shows as a new failure and a fix as a stale entry to remove. To rewrite the
// fixture after a deliberate change: UPDATE_CONFORMANCE_FIXTURE=1 npx vitest run test/keys/conformance.test.ts
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCel } from '../../src/keys/compile.ts';
import { createCelEnvironment } from '../../src/keys/environment.ts';
import { evaluateProgram } from '../../src/keys/evaluate.ts';
import knownFailures from './fixtures/conformance-known-failures.json' with { type: 'json' };
import { celTypeName, sameValue, specTests, toJs, type SpecTest } from './cel-spec.ts';

const sections = ['basic', 'string', 'logic', 'fields', 'conversions', 'macros'] as const;

/** Measured with cel-spec 0.6.1 (cel-spec v0.25.1) and @marcbachmann/cel-js 8.0.0; raise it when the pipeline improves. */
const passFloor = 297;

type Outcome = { kind: 'pass' } | { kind: 'fail'; why: string } | { kind: 'skip'; why: string };

function run(test: SpecTest): Outcome {
  if (!test.value && !test.evalError) return { kind: 'skip', why: 'expects neither a value nor an error' };
  const environment = createCelEnvironment();
  const declared = new Set<string>();
  for (const declaration of test.typeEnv) {
    const type = declaration.ident && celTypeName(declaration.ident.type);
    if (!type) return { kind: 'skip', why: `declares ${declaration.name} with a type the library has no name for` };
    environment.registerVariable(declaration.name, type);
    declared.add(declaration.name);
  }
  const variables: Record<string, unknown> = {};
  for (const [name, binding] of Object.entries(test.bindings)) {
    if (!binding.value) return { kind: 'skip', why: `binds ${name} to something other than a value` };
    if (!declared.has(name)) environment.registerVariable(name, 'dyn');
    variables[name] = toJs(binding.value);
  }

  const compiled = compileCel(test.expr, environment);
  if (!compiled.ok) return test.evalError ? { kind: 'pass' } : { kind: 'fail', why: `refused: ${compiled.error}` };
  const evaluated = evaluateProgram(compiled.program, variables);
  if (test.evalError) return evaluated.ok ? { kind: 'fail', why: `evaluated instead of failing: ${String(evaluated.value)}` } : { kind: 'pass' };
  if (!evaluated.ok) return { kind: 'fail', why: `evaluation failed: ${evaluated.error}` };
  if (test.value && sameValue(test.value, evaluated.value)) return { kind: 'pass' };
  return { kind: 'fail', why: `wrong value: ${String(evaluated.value)}` };
}

describe('CEL conformance (sections keys use)', () => {
  const tests = specTests(sections);
  const outcomes = new Map(tests.map((test) => [test.id, { test, outcome: run(test) }]));

  it('runs every test of the sections, and prints the counts', () => {
    const rows = sections.map((section) => {
      const mine = [...outcomes.values()].filter(({ test }) => test.section === section).map(({ outcome }) => outcome.kind);
      return { section, total: mine.length, passed: mine.filter((k) => k === 'pass').length, failed: mine.filter((k) => k === 'fail').length, skipped: mine.filter((k) => k === 'skip').length };
    });
    console.log('CEL conformance through the key pipeline:');
    console.table(rows);
    const passed = rows.reduce((n, r) => n + r.passed, 0);
    console.log(`passed ${passed} of ${tests.length} (floor ${passFloor})`);
    expect(tests.length).toBeGreaterThan(300);
    expect(passed).toBeGreaterThanOrEqual(passFloor);
  });

  it('fails exactly the known failures', () => {
    const failures = Object.fromEntries([...outcomes].filter(([, { outcome }]) => outcome.kind === 'fail').map(([id, { outcome }]) => [id, (outcome as { why: string }).why]));
    if (process.env['UPDATE_CONFORMANCE_FIXTURE']) {
      writeFileSync(new URL('./fixtures/conformance-known-failures.json', import.meta.url), `${JSON.stringify(failures, null, 2)}\n`);
      return;
    }
    const known: Record<string, string> = knownFailures;
    const newFailures = Object.fromEntries(Object.entries(failures).filter(([id]) => !(id in known)));
    const nowPassing = Object.keys(known).filter((id) => !(id in failures));
    expect(newFailures, 'new failures (a regression, or add them to fixtures/conformance-known-failures.json with the reason)').toEqual({});
    expect(nowPassing, 'known failures that now pass: remove them from fixtures/conformance-known-failures.json').toEqual([]);
  });

  it('skips only for a stated reason', () => {
    const skipped = [...outcomes].filter(([, { outcome }]) => outcome.kind === 'skip').map(([id, { outcome }]) => `${id}: ${(outcome as { why: string }).why}`);
    if (skipped.length > 0) console.log(`skipped ${skipped.length}:\n  ${skipped.join('\n  ')}`);
    expect(skipped.length).toBeLessThan(tests.length / 10);
  });
});
