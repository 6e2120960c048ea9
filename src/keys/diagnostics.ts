// Turns what the CEL library throws into one line a user can act on: the
// problem, with the library's internal names replaced by the CEL ones, and the
// position in the expression as written. The caller adds which Workflow entry
// it is; the library's multi-line source excerpt is dropped (status messages
// and conditions are single lines).
import { originalOffset, withCelNames, type PrintedProgram } from './printer.ts';
import { describeOffset } from './syntax.ts';

interface CelErrorShape {
  code?: unknown;
  summary?: unknown;
  range?: { start: number } | undefined;
}

function isCelError(err: unknown): err is Error & CelErrorShape {
  return err instanceof Error && typeof (err as CelErrorShape).summary === 'string';
}

/** Where the error is, in the expression as written; printed is the program it came from, if not the expression itself. */
function positionOf(err: CelErrorShape, source: string, printed: PrintedProgram | undefined): string {
  if (!err.range) return '';
  const offset = printed ? originalOffset(printed, err.range.start) : err.range.start;
  return offset === undefined ? '' : ` ${describeOffset(source, offset)}`;
}

/**
 * One line for an error the CEL library threw while parsing, checking or
 * evaluating, with the names a user wrote. hint is added to unknown-variable
 * errors (which variables exist).
 */
export function describeCelError(err: unknown, source: string, printed: PrintedProgram | undefined, hint = ''): string {
  if (!isCelError(err)) return err instanceof Error ? err.message : String(err);
  const summary = withCelNames(String(err.summary));
  const extra = err.code === 'unknown_variable' && hint ? ` (${hint})` : '';
  return `${summary}${positionOf(err, source, printed)}${extra}`;
}
