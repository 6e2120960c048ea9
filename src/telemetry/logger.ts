// Structured JSON logs (pino). Callers add namespace, workflow, run and key as
// fields, so one run's story can be followed with a filter.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { component: 'sluice' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
