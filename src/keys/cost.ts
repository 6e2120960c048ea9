// A static upper bound on the work of evaluating an expression without
// macros, in units (limits.ts): it decides whether evaluation may take the fast
// path. Without macros nothing loops, and every function is linear in its
// arguments, so work is bounded by what each operation reads; what an
// operation reads is bounded by the sizes of the variables it comes from.
// Concatenation is the one way to grow a value, and it is counted: a left-
// nested `l + l + l + …` copies quadratically, and the estimate shows it.
import { maxJoinLength, maxSplitLength, variableBounds } from './limits.ts';
import { childrenOf, comprehensionMacros, type ASTNode } from './syntax.ts';

interface Estimate {
  /** Units the value can hold. */
  size: number;
  /** Units of work to compute it. */
  cost: number;
}

const unbounded: Estimate = { size: Infinity, cost: Infinity };

/** Functions whose result is no larger than their arguments (conversions, casing, trimming, parsing time). */
const preservingSize = new Set([
  'bool', 'double', 'dyn', 'int', 'string', 'type', 'uint', 'duration', 'timestamp',
  'lowerAscii', 'upperAscii', 'trim', 'substring',
  'getDate', 'getDayOfMonth', 'getDayOfWeek', 'getDayOfYear', 'getFullYear',
  'getHours', 'getMilliseconds', 'getMinutes', 'getMonth', 'getSeconds',
]);

/** Functions that return a number or a bool after reading their arguments once. */
const returningScalar = new Set(['size', 'contains', 'endsWith', 'startsWith', 'indexOf', 'lastIndexOf', 'has']);

function variableSize(name: string): number {
  return name in variableBounds ? variableBounds[name as keyof typeof variableBounds] : variableBounds.unknown;
}

/** The bound of a selection from a known variable (metadata.labels.x is a label value), or the parent's. */
function selectionSize(node: ASTNode, parent: Estimate): number {
  if (node.op !== '.' && node.op !== '[]') return parent.size;
  const target = node.args[0];
  if (target.op === 'id' && target.args === 'metadata' && node.op === '.') return variableSize(`metadata.${node.args[1]}`);
  if (target.op === '.' && target.args[0].op === 'id' && target.args[0].args === 'metadata' && target.args[1] === 'labels') {
    return variableBounds['metadata.labels[]'];
  }
  return parent.size;
}

function sum(estimates: Estimate[]): Estimate {
  return estimates.reduce((a, b) => ({ size: a.size + b.size, cost: a.cost + b.cost }), { size: 0, cost: 0 });
}

function estimateCall(name: string, args: Estimate[]): Estimate {
  const all = sum(args);
  if (comprehensionMacros.has(name)) return unbounded;
  if (returningScalar.has(name)) return { size: 1, cost: all.cost + all.size };
  if (preservingSize.has(name)) return { size: all.size, cost: all.cost + all.size };
  // UTF-8 takes up to three bytes per UTF-16 unit.
  if (name === 'bytes') return { size: 3 * all.size, cost: all.cost + all.size };
  // One element per character at worst, each a unit plus its characters; longer input is refused at run time.
  if (name === 'split') {
    const parts = 2 * Math.min(all.size, maxSplitLength) + 1;
    return { size: parts, cost: all.cost + all.size + parts };
  }
  // The replacement reads the list once and refuses a result over maxJoinLength before building it.
  if (name === 'join') return { size: maxJoinLength, cost: all.cost + all.size + maxJoinLength };
  return unbounded;
}

function estimate(node: ASTNode): Estimate {
  const children = childrenOf(node).map(estimate);
  const all = sum(children);
  switch (node.op) {
    case 'value':
      return { size: typeof node.args === 'string' || node.args instanceof Uint8Array ? node.args.length + 1 : 1, cost: 0 };
    case 'id':
      return { size: variableSize(node.args), cost: 0 };
    case '.':
    case '.?':
    case '[]':
    case '[?]':
      // A lookup costs the key's size; the result is part of the container.
      return { size: selectionSize(node, children[0] ?? unbounded), cost: all.cost + (children[1]?.size ?? 1) };
    case 'call':
    case 'rcall':
      return estimateCall(node.args[0], children);
    case 'list':
    case 'map':
      return { size: all.size + 1, cost: all.cost + children.length };
    case '?:':
      return { size: Math.max(children[1]?.size ?? 0, children[2]?.size ?? 0), cost: all.cost };
    case '&&':
    case '||':
    case '!_':
    case '-_':
      return { size: 1, cost: all.cost + 1 };
    case '+':
      return { size: all.size, cost: all.cost + all.size };
    default:
      // Comparisons, `in` and arithmetic read both operands once (deep equality included).
      return { size: 1, cost: all.cost + all.size };
  }
}

/** Units of work an evaluation can take at most, or Infinity when the expression loops (macros) or calls what is not modelled. */
export function estimateCost(ast: ASTNode): number {
  return estimate(ast).cost;
}
