// The CEL environment of concurrency keys: the variables a key reads (SPEC §2),
// the functions an expression may call, and the bounded replacements sluice
// installs for the library functions that are not safe on hostile input.
//
// The library cannot replace its own functions (an overload that overlaps an
// existing one is refused), so the replacements are registered under internal
// names and the compiler prints the expression with those names (printer.ts):
// `s.matches(p)` runs RE2, `l.join(sep)` and `s.split(sep)` refuse results
// that would be huge, and `__sluice_iterated(x)` and `__sluice_collected(x)`
// charge the size meter (meter.ts).
import { Environment, EvaluationError } from '@marcbachmann/cel-js';
import { maxJoinLength, maxSplitLength } from './limits.ts';
import { sizeMeter } from './meter.ts';
import { matchesRegex } from './regex.ts';

/** Receiver-style functions that compile to a bounded replacement, by their CEL name. */
export const replacedMethods: ReadonlyMap<string, string> = new Map([
  ['matches', '__sluice_matches'],
  ['join', '__sluice_join'],
  ['split', '__sluice_split'],
]);

/** Wrap what the size meter must see: the lists macros iterate over, and what `map` collects. */
export const meterFunctions = { iterated: '__sluice_iterated', collected: '__sluice_collected' } as const;

/**
 * What a key expression may call: CEL's standard definitions, the macros, and
 * the string functions of cel-go's strings extension that this library has.
 * Left out: cel.bind (a bound name used twice doubles a value's size per
 * nesting level, with no macro to meter it), and the library's own additions
 * bytes.hex/base64/json/at (hex() doubles its input: chained, it builds a
 * gigabyte from 64 KiB).
 */
export const allowedFunctions: ReadonlySet<string> = new Set([
  // standard: conversions, size, strings, time
  'bool', 'bytes', 'double', 'dyn', 'int', 'string', 'type', 'uint', 'size',
  'contains', 'endsWith', 'startsWith', 'matches',
  'duration', 'timestamp',
  'getDate', 'getDayOfMonth', 'getDayOfWeek', 'getDayOfYear', 'getFullYear',
  'getHours', 'getMilliseconds', 'getMinutes', 'getMonth', 'getSeconds',
  // macros
  'has', 'all', 'exists', 'exists_one', 'map', 'filter',
  // strings extension
  'indexOf', 'lastIndexOf', 'lowerAscii', 'upperAscii', 'trim', 'substring', 'split', 'join',
]);

function checkedJoin(list: unknown[], separator: string): string {
  let length = separator.length * Math.max(0, list.length - 1);
  for (const element of list) {
    if (typeof element !== 'string') {
      throw new EvaluationError({ code: 'invalid_list_element_type', message: 'join(): list must contain only strings' });
    }
    length += element.length;
    if (length > maxJoinLength) {
      throw new EvaluationError({ code: 'join_too_long', message: `join(): the result would be longer than ${maxJoinLength} characters` });
    }
  }
  return list.join(separator);
}

function checkedSplitInput(text: string): string {
  if (text.length > maxSplitLength) {
    throw new EvaluationError({ code: 'split_too_long', message: `split(): the string is ${text.length} characters long; at most ${maxSplitLength} can be split` });
  }
  return text;
}

/** The library's split(separator, limit), whose semantics the replacement keeps. */
function splitWithLimit(text: string, separator: string, limit: number): string[] {
  if (limit === 0) return [];
  const parts = text.split(separator);
  if (limit < 0 || parts.length <= limit) return parts;
  const limited = parts.slice(0, limit - 1);
  limited.push(parts.slice(limit - 1).join(separator));
  return limited;
}

const sync = { async: false };

function registerFunctions(environment: Environment): Environment {
  return environment
    .registerFunction(`string.${replacedMethods.get('matches')}(string): bool`, (text: string, pattern: string) => matchesRegex(text, pattern), sync)
    .registerFunction('matches(string, string): bool', (text: string, pattern: string) => matchesRegex(text, pattern), sync)
    .registerFunction(`list<string>.${replacedMethods.get('join')}(): string`, (list: unknown[]) => checkedJoin(list, ''), sync)
    .registerFunction(`list<string>.${replacedMethods.get('join')}(string): string`, (list: unknown[], separator: string) => checkedJoin(list, separator), sync)
    .registerFunction(`string.${replacedMethods.get('split')}(string): list<string>`, (text: string, separator: string) => checkedSplitInput(text).split(separator), sync)
    .registerFunction(
      `string.${replacedMethods.get('split')}(string, int): list<string>`,
      (text: string, separator: string, limit: bigint) => splitWithLimit(checkedSplitInput(text), separator, Number(limit)),
      sync,
    )
    .registerFunction(`${meterFunctions.iterated}(T): T`, (value: unknown) => sizeMeter.iterated(value), sync)
    .registerFunction(`${meterFunctions.collected}(T): T`, (value: unknown) => sizeMeter.collected(value), sync);
}

/**
 * A fresh environment with sluice's functions and no variables: the
 * conformance test declares its own. List and map literals may mix types, as
 * CEL specifies (the library's default refuses `[1, 'one']`).
 */
export function createCelEnvironment(): Environment {
  return registerFunctions(new Environment({ homogeneousAggregateLiterals: false }));
}

/** The variables of a key expression (SPEC §2); JSON numbers in input are CEL doubles. */
function declareKeyVariables(environment: Environment): Environment {
  return environment
    .registerVariable('input', 'map<string, dyn>', { description: "The run's spec.input (a JSON object; its numbers are doubles: use int(input.n))." })
    .registerVariable('additional_metadata', 'map<string, string>', { description: "The run's spec.additionalMetadata." })
    .registerVariable('workflow_run_id', 'string', { description: "The run's name." })
    .registerVariable('metadata', {
      schema: { name: 'string', namespace: 'string', labels: 'map<string, string>', annotations: 'map<string, string>' },
      description: "The run's name, namespace, labels and annotations.",
    });
}

export const keyVariableNames = ['input', 'additional_metadata', 'workflow_run_id', 'metadata'] as const;

/** Built once: creating an environment is the library's expensive step. */
export const keyEnvironment: Environment = declareKeyVariables(createCelEnvironment());

const knownNames = new WeakMap<Environment, ReadonlySet<string>>();

/** Every function name the library would resolve, to tell a misspelled name from one keys leave out. */
export function knownFunctionNames(environment: Environment): ReadonlySet<string> {
  let names = knownNames.get(environment);
  if (!names) {
    names = new Set(environment.getDefinitions().functions.map((f) => f.name));
    knownNames.set(environment, names);
  }
  return names;
}
