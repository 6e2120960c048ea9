/**
 * Concurrency keys (SPEC §2): CEL expressions compiled once per Workflow
 * generation and evaluated once per run into the key of its group. Pure: no
 * I/O, no clock; time is bounded through node:vm's timeout.
 *
 * Choices where the specification is silent:
 * - Variables: `input` (map<string, dyn>: JSON numbers are doubles, so write
 *   `int(input.n)` for arithmetic; `string(input.n)` and a bare `input.n` both
 *   give "42" for 42), `additional_metadata` (map<string, string>),
 *   `workflow_run_id` (string), `metadata` (name, namespace, labels,
 *   annotations; a misspelled field is a type error).
 * - Functions: CEL's standard definitions and macros plus the strings
 *   extension's indexOf, lastIndexOf, lowerAscii, upperAscii, trim, substring,
 *   split, join. Not cel.bind nor bytes hex/base64/json/at (environment.ts).
 * - `matches` runs on RE2 (re2js), linear in its input; a literal pattern RE2
 *   refuses is refused when the Workflow is checked.
 * - The result is a string, or an int, uint, double or bool in its CEL string
 *   form (string(x) of the CEL library: 42.0 -> "42", 1.5 -> "1.5",
 *   1e21 -> "1e+21", infinities "+Inf"/"-Inf", true -> "true"), at most 256
 *   UTF-16 code units. The checker refuses a result proven to be anything
 *   else; dyn is checked when evaluated.
 * - Macro nesting counts macros inside the bodies of others (a receiver runs
 *   once): `l.map(x, l.map(y, y))` is 2 deep, `l.map(x, x).map(y, y)` 1 deep.
 * - Budget: an expression without macros or `matches` whose static cost
 *   (cost.ts) is small is evaluated directly; any other runs under a 100 ms
 *   time limit (node:vm) and a size budget on what its macros iterate over
 *   and build (meter.ts); join and split refuse results over 64 KiB.
 *   Exceeding any is an evaluation error. All numbers: limits.ts.
 * - List and map literals may mix types (as CEL allows; list<dyn>).
 * - Errors are one line naming the problem and its column; the caller adds
 *   the Workflow entry.
 */
export { compileConcurrencyExpression, type Compiled, type KeyProgram } from './compile.ts';
export { evaluateKey, type KeyResult, type KeyVariables } from './evaluate.ts';
