// Compiling an expression once per Workflow generation (SPEC §2): parse,
// check what keys allow (analysis.ts), print the program sluice runs
// (printer.ts), type-check it against the variables, and choose how its
// evaluation is bounded. Every refusal is one line naming the problem and its
// position; the caller adds which entry of the Workflow it is.
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { analyse } from './analysis.ts';
import { estimateCost } from './cost.ts';
import { describeCelError } from './diagnostics.ts';
import { keyEnvironment, keyVariableNames, knownFunctionNames } from './environment.ts';
import { fastPathCostLimit, maxExpressionLength } from './limits.ts';
import { printMeteredProgram, printProgram, printsFaithfully, type PrintedProgram } from './printer.ts';
import type { ASTNode } from './syntax.ts';

/**
 * direct: evaluated by a plain call; the expression has no macro and no
 * `matches`, and its static cost (cost.ts) is small, so nothing can take long.
 * guarded: evaluated under a time limit (node:vm) with the size meter; any
 * expression with a macro or `matches`, or a large static cost.
 */
export type EvaluationPath = 'direct' | 'guarded';

export interface CelProgram {
  /** The expression as written. */
  readonly expression: string;
  /** The type the checker gives the result: a CEL type name, or dyn. */
  readonly resultType: string;
  readonly path: EvaluationPath;
  /** The library's parsed and type-checked program, as printed. */
  readonly run: ParseResult;
  /** What run was printed from, to map its error positions back. */
  readonly printed: PrintedProgram;
}

/** A program whose result the checker allows as a key. Opaque to callers: compile once, evaluate per run. */
export interface KeyProgram extends CelProgram {
  readonly checkedAsKey: true;
}

export type Compiled<P> = { ok: true; program: P } | { ok: false; error: string };

/** Result types a key can have: a string, a scalar converted to one, or dyn (checked when evaluated). */
const keyResultTypes: ReadonlySet<string> = new Set(['string', 'int', 'uint', 'double', 'bool', 'dyn']);

const unfaithful = 'sluice could not compile this expression faithfully (an internal error; please report it with the expression)';

/** Parses and type-checks a printed program; a failure is an error of the expression, with positions mapped back. */
function checkedProgram(printed: PrintedProgram, ast: ASTNode, source: string, environment: Environment, hint: string): Compiled<{ run: ParseResult; type: string }> {
  let run: ParseResult;
  try {
    run = environment.parse(printed.text);
  } catch {
    return { ok: false, error: unfaithful };
  }
  if (!printsFaithfully(ast, run.ast)) return { ok: false, error: unfaithful };
  const checked = run.check();
  if (!checked.valid) return { ok: false, error: describeCelError(checked.error, source, printed, hint) };
  return { ok: true, program: { run, type: checked.type ?? 'dyn' } };
}

/**
 * Compiles a CEL expression in an environment with sluice's functions
 * (environment.ts). The conformance test uses it with its own variables;
 * keys use compileConcurrencyExpression. hint is added to unknown-variable
 * errors.
 */
export function compileCel(expression: string, environment: Environment, hint = ''): Compiled<CelProgram> {
  let ast: ASTNode;
  try {
    ast = environment.parse(expression).ast;
  } catch (err) {
    return { ok: false, error: describeCelError(err, expression, undefined) };
  }
  const analysed = analyse(ast, expression, knownFunctionNames(environment));
  if (!analysed.ok) return analysed;
  const { hasComprehension, hasRegex } = analysed.analysis;

  const plain = printProgram(ast, expression);
  const checked = checkedProgram(plain, ast, expression, environment, hint);
  if (!checked.ok) return checked;

  const cost = hasComprehension || hasRegex ? Infinity : estimateCost(ast);
  const path: EvaluationPath = cost <= fastPathCostLimit ? 'direct' : 'guarded';
  let program = { printed: plain, run: checked.program.run };
  if (hasComprehension) {
    const metered = printMeteredProgram(ast, expression);
    const meteredChecked = checkedProgram(metered, ast, expression, environment, hint);
    if (!meteredChecked.ok) return meteredChecked;
    program = { printed: metered, run: meteredChecked.program.run };
  }
  return { ok: true, program: { expression, resultType: checked.program.type, path, ...program } };
}

const variableHint = `the variables are ${keyVariableNames.join(', ')}`;

/**
 * Compiles a concurrency expression (SPEC §2), once per Workflow generation:
 * at most maxExpressionLength characters, only the functions keys allow,
 * macros nested at most two deep, type-checked against the key variables,
 * with a result that can be a key. Never throws.
 */
export function compileConcurrencyExpression(expression: string): Compiled<KeyProgram> {
  try {
    if (expression.length > maxExpressionLength) {
      return { ok: false, error: `the expression is ${expression.length} characters long; at most ${maxExpressionLength} are allowed` };
    }
    const compiled = compileCel(expression, keyEnvironment, variableHint);
    if (!compiled.ok) return compiled;
    const { resultType } = compiled.program;
    if (!keyResultTypes.has(resultType)) {
      return { ok: false, error: `the expression's type is ${resultType}; a concurrency key must be a string, or an int, uint, double or bool (converted to a string)` };
    }
    return { ok: true, program: { ...compiled.program, checkedAsKey: true } };
  } catch (err) {
    return { ok: false, error: `could not compile the expression: ${err instanceof Error ? err.message : String(err)}` };
  }
}
