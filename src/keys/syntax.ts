// Reading the parsed expression: the children of a node, which calls are
// comprehension macros, and where an offset is in words a user can find.
import type { ASTNode } from '@marcbachmann/cel-js';

export type { ASTNode };

/** The macros that iterate: the only constructs whose cost is not linear in the expression's size. */
export const comprehensionMacros: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export interface Comprehension {
  name: string;
  receiver: ASTNode;
  iterationVariable: string;
  /** The arguments evaluated once per element (predicate, transform). */
  bodies: ASTNode[];
  /** What `map` collects per element; absent for the other macros. */
  transform?: ASTNode;
}

/** The comprehension a call is, or undefined for any other node (the parser expands these by name, receiver and arity). */
export function comprehensionOf(node: ASTNode): Comprehension | undefined {
  if (node.op !== 'rcall') return undefined;
  const [name, receiver, args] = node.args;
  if (!comprehensionMacros.has(name)) return undefined;
  const arities = name === 'map' ? [2, 3] : [2];
  const [variable, ...bodies] = args;
  if (!arities.includes(args.length) || variable?.op !== 'id') return undefined;
  const comprehension: Comprehension = { name, receiver, iterationVariable: variable.args, bodies };
  if (name === 'map') comprehension.transform = bodies[bodies.length - 1];
  return comprehension;
}

/** The name of the function a node calls, if it is a call. */
export function calledName(node: ASTNode): string | undefined {
  if (node.op === 'call' || node.op === 'rcall') return node.args[0];
  return undefined;
}

export function childrenOf(node: ASTNode): ASTNode[] {
  switch (node.op) {
    case 'value':
    case 'id':
      return [];
    case '.':
    case '.?':
      return [node.args[0]];
    case 'call':
      return node.args[1];
    case 'rcall':
      return [node.args[1], ...node.args[2]];
    case 'list':
      return node.args;
    case 'map':
      return node.args.flat();
    case '!_':
    case '-_':
      return [node.args];
    default:
      return [...node.args];
  }
}

/** "at column 7", or "at line 2, column 3" for an expression of several lines; columns count characters. */
export function describeOffset(source: string, offset: number): string {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lines = before.split('\n');
  const column = [...(lines[lines.length - 1] ?? '')].length + 1;
  return source.includes('\n') ? `at line ${lines.length}, column ${column}` : `at column ${column}`;
}
