// Evaluating a compiled expression once per run (SPEC §2), within its budget,
// and turning the result into a key. Never throws: every failure, the budget
// included, is an error value the run fails with (ConcurrencyKeyError).
import { Environment } from '@marcbachmann/cel-js';
import { UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import type { CelProgram, KeyProgram } from './compile.ts';
import { describeCelError } from './diagnostics.ts';
import { guardedSizeBudget, guardedTimeoutMs, maxKeyLength } from './limits.ts';
import { sizeMeter } from './meter.ts';
import { runWithTimeout } from './time-budget.ts';

/** What a key expression reads (SPEC §2). */
export interface KeyVariables {
  /** The run's spec.input: JSON, so its numbers are CEL doubles. */
  input: Readonly<Record<string, unknown>>;
  additional_metadata: Readonly<Record<string, string>>;
  /** The run's name. */
  workflow_run_id: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Readonly<Record<string, string>>;
    annotations: Readonly<Record<string, string>>;
  };
}

export type Evaluated = { ok: true; value: unknown } | { ok: false; error: string };
export type KeyResult = { ok: true; key: string } | { ok: false; error: string };

const sizeBudgetError = `evaluation stopped: its macros went over the size budget of ${guardedSizeBudget} units (the list elements and characters they iterate over or build)`;
const timeBudgetError = (ms: number) => `evaluation stopped: it took longer than its time budget of ${ms} ms`;

function described(err: unknown, program: CelProgram): Evaluated {
  return { ok: false, error: describeCelError(err, program.expression, program.printed) };
}

function evaluateGuarded(program: CelProgram, variables: object, timeBudgetMs: number): Evaluated {
  sizeMeter.start(guardedSizeBudget);
  try {
    const timed = runWithTimeout(() => program.run(variables), timeBudgetMs);
    if (!timed.finished) return { ok: false, error: timeBudgetError(timeBudgetMs) };
    if (sizeMeter.spent) return { ok: false, error: sizeBudgetError };
    return { ok: true, value: timed.value };
  } catch (err) {
    // A starved macro may have made the rest of the expression fail; the budget is the cause.
    if (sizeMeter.spent) return { ok: false, error: sizeBudgetError };
    return described(err, program);
  }
}

/**
 * The value of a program, within its budget (compile.ts, EvaluationPath). Never
 * throws. The time budget is an argument so that tests of the other budgets do
 * not depend on the speed of the machine.
 */
export function evaluateProgram(program: CelProgram, variables: object, timeBudgetMs = guardedTimeoutMs): Evaluated {
  if (program.path === 'guarded') return evaluateGuarded(program, variables, timeBudgetMs);
  try {
    return { ok: true, value: program.run(variables) };
  } catch (err) {
    return described(err, program);
  }
}

/** The library's own string(double), so that a key `input.n` equals the key `string(input.n)`. */
const doubleAsString = new Environment().registerVariable('d', 'double').parse('string(d)');

function celTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value) || value instanceof Set) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  // Timestamps are Date objects; pure code may not name the Date global.
  if (Object.prototype.toString.call(value) === '[object Date]') return 'a timestamp';
  if (value instanceof Map || [Object.prototype, null].includes(Object.getPrototypeOf(value))) return 'a map';
  const name = (value as { constructor?: { name?: string } }).constructor?.name ?? typeof value;
  return name === 'Duration' ? 'a duration' : name === 'Type' ? 'a type' : `a value of type ${name}`;
}

/** A CEL value as a key: strings as they are, int, uint, double and bool in their CEL string form. */
function keyOf(value: unknown): KeyResult {
  let key: string | undefined;
  if (typeof value === 'string') key = value;
  else if (typeof value === 'bigint' || typeof value === 'boolean' || value instanceof UnsignedInt) key = String(value);
  else if (typeof value === 'number') key = doubleAsString({ d: value }) as string;
  if (key === undefined) {
    return { ok: false, error: `the expression evaluated to ${celTypeOf(value)}; a concurrency key must be a string, or an int, uint, double or bool (converted to a string)` };
  }
  // UTF-16 code units, as the status schema counts them (at least the characters the API server counts).
  if (key.length > maxKeyLength) return { ok: false, error: `the key is ${key.length} characters long; at most ${maxKeyLength} are allowed` };
  return { ok: true, key };
}

/** Evaluates a concurrency key for one run (SPEC §2). Never throws. */
export function evaluateKey(program: KeyProgram, variables: KeyVariables, timeBudgetMs = guardedTimeoutMs): KeyResult {
  const evaluated = evaluateProgram(program, variables, timeBudgetMs);
  if (!evaluated.ok) return evaluated;
  try {
    return keyOf(evaluated.value);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
