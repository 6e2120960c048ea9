// Prints a parsed expression back to CEL, as the program sluice actually runs:
// methods the library cannot replace are called by their bounded internal
// names (environment.ts), and on the guarded path what macros iterate over and
// what `map` collects is wrapped in the size meter. Printing from the tree, not
// editing the text, keeps the program's structure exactly that of the tree
// (parenthesized by precedence); the spans it records map the printed
// program's error positions back to the expression the user wrote.
import { meterFunctions, replacedMethods } from './environment.ts';
import { childrenOf, comprehensionOf, type ASTNode } from './syntax.ts';

export interface PrintedSpan {
  start: number;
  end: number;
  /** The node of the expression as written. */
  node: ASTNode;
}

export interface PrintedProgram {
  text: string;
  spans: PrintedSpan[];
}

/** Prints what the meter must see, given the meter function for it. */
type Instrument = (printer: Printer, node: ASTNode, meter: string) => void;

/**
 * The library parser's precedence, loosest first; calls, selections, literals
 * and names bind tightest. Unlike CEL's grammar, it puts == and != below the
 * other relations: `a != b in c` is `a != (b in c)`.
 */
const precedence: Record<string, number> = {
  '?:': 1,
  '||': 2,
  '&&': 3,
  '==': 4, '!=': 4,
  '<': 5, '<=': 5, '>': 5, '>=': 5, in: 5,
  '+': 6, '-': 6,
  '*': 7, '/': 7, '%': 7,
  '!_': 8, '-_': 8,
};
const tightest = 9;

function precedenceOf(node: ASTNode): number {
  return precedence[node.op] ?? tightest;
}

class Printer {
  text = '';
  readonly spans: PrintedSpan[] = [];

  private readonly source: string;
  /** Prints a node whose size the meter must see. */
  private readonly instrument: Instrument;

  constructor(source: string, instrument: Instrument) {
    this.source = source;
    this.instrument = instrument;
  }

  node(node: ASTNode): void {
    const start = this.text.length;
    this.emit(node);
    this.spans.push({ start, end: this.text.length, node });
  }

  /**
   * Prints a node where the grammar needs at least the given precedence,
   * in parentheses if it binds looser. Parentheses only where needed: each
   * pair is a level of the parser's depth limit, and `1 + 1 + …` nests left.
   */
  child(node: ASTNode, least: number): void {
    if (precedenceOf(node) >= least) return this.node(node);
    this.text += '(';
    this.node(node);
    this.text += ')';
  }

  /** A receiver or selection target; a literal is parenthesized too (`(1).x`, not `1.x`). */
  target(node: ASTNode): void {
    this.child(node, node.op === 'value' ? tightest + 1 : tightest);
  }

  private list(nodes: ASTNode[]): void {
    nodes.forEach((node, i) => {
      if (i > 0) this.text += ', ';
      this.node(node);
    });
  }

  private emitCall(node: ASTNode & { op: 'rcall' }): void {
    const [name, receiver, args] = node.args;
    const comprehension = comprehensionOf(node);
    if (!comprehension) {
      this.target(receiver);
      this.text += `.${replacedMethods.get(name) ?? name}(`;
      this.list(args);
      this.text += ')';
      return;
    }
    this.instrument(this, receiver, meterFunctions.iterated);
    this.text += `.${name}(${comprehension.iterationVariable}`;
    for (const body of comprehension.bodies) {
      this.text += ', ';
      if (body === comprehension.transform) this.instrument(this, body, meterFunctions.collected);
      else this.node(body);
    }
    this.text += ')';
  }

  private emit(node: ASTNode): void {
    switch (node.op) {
      case 'value':
        // The literal exactly as written: reprinting numbers or escapes could change them.
        this.text += this.source.slice(node.start, node.end);
        return;
      case 'id':
        this.text += node.args;
        return;
      case '.':
      case '.?':
        this.target(node.args[0]);
        this.text += `${node.op}${node.args[1]}`;
        return;
      case '[]':
      case '[?]':
        this.target(node.args[0]);
        this.text += node.op === '[]' ? '[' : '[?';
        this.node(node.args[1]);
        this.text += ']';
        return;
      case 'call':
        this.text += `${node.args[0]}(`;
        this.list(node.args[1]);
        this.text += ')';
        return;
      case 'rcall':
        return this.emitCall(node);
      case 'list':
        this.text += '[';
        this.list(node.args);
        this.text += ']';
        return;
      case 'map':
        this.text += '{';
        node.args.forEach(([key, value], i) => {
          if (i > 0) this.text += ', ';
          this.node(key);
          this.text += ': ';
          this.node(value);
        });
        this.text += '}';
        return;
      case '?:':
        // Condition ? ConditionalOr : Expression.
        this.child(node.args[0], precedence['||'] as number);
        this.text += ' ? ';
        this.child(node.args[1], precedence['||'] as number);
        this.text += ' : ';
        this.child(node.args[2], precedence['?:'] as number);
        return;
      case '!_':
      case '-_':
        // `-(1)`, not `-1`, which a parser may read as one literal.
        this.text += node.op === '!_' ? '!' : '-';
        this.child(node.args, node.args.op === 'value' ? tightest + 1 : tightest);
        return;
      default: {
        const [left, right] = childrenOf(node);
        const level = precedence[node.op];
        if (!left || !right || level === undefined) throw new Error(`cannot print operator ${node.op}`);
        // Binary operators associate to the left.
        this.child(left, level);
        this.text += ` ${node.op} `;
        this.child(right, level + 1);
      }
    }
  }
}

const unmetered: Instrument = (printer, node) => printer.target(node);

const throughMeter: Instrument = (printer, node, meter) => {
  printer.text += `${meter}(`;
  printer.node(node);
  printer.text += ')';
};

function print(ast: ASTNode, source: string, instrument: Instrument): PrintedProgram {
  const printer = new Printer(source, instrument);
  printer.node(ast);
  return { text: printer.text, spans: printer.spans };
}

/** The program with bounded methods, for the fast path and for type checking. */
export function printProgram(ast: ASTNode, source: string): PrintedProgram {
  return print(ast, source, unmetered);
}

/** The program with bounded methods and the size meter around what macros iterate over and collect. */
export function printMeteredProgram(ast: ASTNode, source: string): PrintedProgram {
  return print(ast, source, throughMeter);
}

/** Where, in the expression as written, an offset of the printed program lies: the innermost node printed there. */
export function originalOffset(printed: PrintedProgram, offset: number): number | undefined {
  let best: PrintedSpan | undefined;
  for (const span of printed.spans) {
    if (span.start <= offset && offset <= span.end && (!best || span.end - span.start < best.end - best.start)) best = span;
  }
  return best?.node.pos;
}

/** The CEL name of an internal function name in a message. */
export function withCelNames(message: string): string {
  let out = message;
  for (const [name, internal] of replacedMethods) out = out.replaceAll(internal, name);
  return Object.values(meterFunctions).reduce((text, internal) => text.replaceAll(internal, 'size budget'), out);
}

function sameLiteral(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((byte, i) => byte === b[i]);
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') return a.constructor === b.constructor && String(a) === String(b);
  return a === b;
}

/** The meter call a printed node is wrapped in, unwrapped; the node itself otherwise. */
function unmeter(node: ASTNode): ASTNode {
  const meters: readonly string[] = Object.values(meterFunctions);
  if (node.op === 'call' && meters.includes(node.args[0]) && node.args[1].length === 1 && node.args[1][0]) return node.args[1][0];
  return node;
}

/**
 * Whether the printed program, parsed again, has the tree of the expression as
 * written, up to internal names and meter calls: a check that printing never
 * changed what runs.
 */
export function printsFaithfully(original: ASTNode, reparsed: ASTNode): boolean {
  const printed = unmeter(reparsed);
  if (original.op !== printed.op) return false;
  switch (original.op) {
    case 'value':
      return sameLiteral(original.args, printed.args);
    case 'id':
      return original.args === printed.args;
    case '.':
    case '.?':
      if (original.args[1] !== (printed.args as [ASTNode, string])[1]) return false;
      break;
    case 'call':
      if (original.args[0] !== (printed.args as [string, ASTNode[]])[0]) return false;
      break;
    case 'rcall': {
      const name = original.args[0];
      if ((replacedMethods.get(name) ?? name) !== (printed.args as [string, ASTNode, ASTNode[]])[0]) return false;
      break;
    }
  }
  const a = childrenOf(original);
  const b = childrenOf(printed);
  return a.length === b.length && a.every((child, i) => printsFaithfully(child, b[i] as ASTNode));
}
