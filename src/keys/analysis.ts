// The checks SPEC §2 makes on a parsed expression before it is type-checked:
// only functions keys allow, comprehension macros nested at most two deep,
// and literal `matches` patterns that RE2 accepts. Each failure names the
// construct and where it is.
import { allowedFunctions } from './environment.ts';
import { maxMacroNesting } from './limits.ts';
import { regexError } from './regex.ts';
import { calledName, childrenOf, comprehensionOf, describeOffset, type ASTNode } from './syntax.ts';

export interface Analysis {
  /** Whether any comprehension macro occurs: such an expression is evaluated on the guarded path. */
  hasComprehension: boolean;
  /** Whether `matches` occurs: RE2 is linear, but in text and pattern together, so it is guarded too. */
  hasRegex: boolean;
}

type Checked = { ok: true; analysis: Analysis } | { ok: false; error: string };

class Refusal extends Error {}

function checkCall(node: ASTNode, source: string, knownFunctions: ReadonlySet<string>): void {
  const name = calledName(node);
  if (name === undefined || allowedFunctions.has(name)) return;
  const where = describeOffset(source, node.pos);
  if (node.op === 'rcall' && name === 'bind' && node.args[1].op === 'id' && node.args[1].args === 'cel') {
    throw new Refusal(`cel.bind is not available in concurrency keys ${where}`);
  }
  if (knownFunctions.has(name) && !name.startsWith('__sluice_')) {
    throw new Refusal(`function '${name}' is not available in concurrency keys ${where}`);
  }
  throw new Refusal(`unknown function '${name}' ${where}`);
}

function checkRegexLiteral(node: ASTNode, source: string): void {
  if (calledName(node) !== 'matches') return;
  const pattern = node.op === 'rcall' ? node.args[2][0] : node.op === 'call' ? node.args[1][1] : undefined;
  if (pattern?.op !== 'value' || typeof pattern.args !== 'string') return;
  const error = regexError(pattern.args);
  if (error !== undefined) throw new Refusal(`invalid regular expression ${describeOffset(source, pattern.pos)}: ${error}`);
}

/**
 * Walks the tree once. `enclosing` lists the macros whose bodies contain the
 * node, innermost last: a macro's receiver runs once, so only bodies nest.
 */
function visit(node: ASTNode, enclosing: string[], source: string, knownFunctions: ReadonlySet<string>, analysis: Analysis): void {
  checkCall(node, source, knownFunctions);
  checkRegexLiteral(node, source);
  if (calledName(node) === 'matches') analysis.hasRegex = true;
  const comprehension = comprehensionOf(node);
  if (!comprehension) {
    for (const child of childrenOf(node)) visit(child, enclosing, source, knownFunctions, analysis);
    return;
  }
  analysis.hasComprehension = true;
  const nesting = [...enclosing, comprehension.name];
  if (nesting.length > maxMacroNesting) {
    const chain = nesting.toReversed().map((name) => `'${name}'`).join(' inside ');
    throw new Refusal(
      `comprehension macros are nested ${nesting.length} deep ${describeOffset(source, node.pos)} (${chain}); at most ${maxMacroNesting} levels are allowed`,
    );
  }
  visit(comprehension.receiver, enclosing, source, knownFunctions, analysis);
  for (const body of comprehension.bodies) visit(body, nesting, source, knownFunctions, analysis);
}

export function analyse(ast: ASTNode, source: string, knownFunctions: ReadonlySet<string>): Checked {
  const analysis: Analysis = { hasComprehension: false, hasRegex: false };
  try {
    visit(ast, [], source, knownFunctions, analysis);
    return { ok: true, analysis };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, error: err.message };
    throw err;
  }
}
