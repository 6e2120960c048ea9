// Random event sequences for the property tests: a small world (few Workflows,
// expressions, keys and run names) so that groups fill up, ties happen, runs
// are re-enqueued, Workflows change under running runs and keys go stale.
import fc from 'fast-check';
import type { ConcurrencyEntry, Decision, Priority, QueuedRun, RunKey, Strategy, WorkflowLimits } from '../../src/engine/index.ts';
import type { Admission } from './builders.ts';

export const strategies: readonly Strategy[] = ['GROUP_ROUND_ROBIN', 'CANCEL_IN_PROGRESS', 'CANCEL_NEWEST', 'CANCEL_QUEUED_EXCEPT_NEWEST', 'CANCEL_QUEUED_EXCEPT_OLDEST'];
const expressions = ['input.a', 'input.b', 'input.c'];
const keyValues = ['x', 'y', 'z'];

/** A run told to the engine; one key per expression, null where it is missing. */
export interface RunEvent {
  kind: 'enqueue' | 'observeRunning';
  run: number;
  workflow: number;
  keys: (string | null)[];
  priority: Priority;
  age: number;
}

export type Event =
  | { kind: 'upsertWorkflow'; workflow: number; entries: ConcurrencyEntry[]; timeout: number | undefined }
  | { kind: 'removeWorkflow'; workflow: number }
  | RunEvent
  | { kind: 'remove' | 'admissionFailed'; run: number }
  | { kind: 'decide'; advance: number }
  | { kind: 'setMaxConcurrentRuns'; limit: number };

export interface WorldSize {
  workflows: number;
  runs: number;
  /**
   * Several entries per Workflow, every key present, runs arriving in time order:
   * the world where runs are parked on full groups and come back lazily (pending.ts).
   */
  blocking?: boolean;
}

const entryArbitrary = fc.record({ expression: fc.constantFrom(...expressions), maxRuns: fc.integer({ min: 1, max: 3 }), strategy: fc.constantFrom(...strategies) });

const workflowSetup = (size: WorldSize) => (workflow: number) =>
  fc.record({
    kind: fc.constant('upsertWorkflow' as const),
    workflow: fc.constant(workflow),
    entries: size.blocking
      ? fc.uniqueArray(entryArbitrary.map((e) => ({ ...e, strategy: 'GROUP_ROUND_ROBIN' as const })), { selector: (e) => e.expression, minLength: 2, maxLength: 3 })
      : fc.uniqueArray(entryArbitrary, { selector: (e) => e.expression, maxLength: 3 }),
    // Most Workflows have no timeout; one that has it lets runs wait a while.
    timeout: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 80 }) }),
  });

function eventArbitrary(size: WorldSize): fc.Arbitrary<Event> {
  const workflow = fc.nat(size.workflows - 1);
  const runName = fc.nat(size.runs - 1);
  const runEvent = (kind: RunEvent['kind']): fc.Arbitrary<RunEvent> =>
    fc.record({
      kind: fc.constant(kind),
      run: runName,
      workflow,
      // Now and then a key is missing: keys from an older generation of the Workflow.
      keys: fc.array(size.blocking ? fc.constantFrom(...keyValues) : fc.option(fc.constantFrom(...keyValues), { freq: 15, nil: null }), {
        minLength: expressions.length,
        maxLength: expressions.length,
      }),
      priority: fc.constantFrom<Priority>(1, 1, 1, 2, 3),
      // A negative age: a queuedAt a little ahead of the engine's clock (another replica's clock).
      age: size.blocking ? fc.constant(0) : fc.integer({ min: -2, max: 6 }),
    });
  return fc.oneof(
    { weight: size.blocking ? 0 : 2, arbitrary: workflow.chain(workflowSetup(size)) },
    { weight: size.blocking ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('removeWorkflow' as const), workflow }) },
    { weight: 14, arbitrary: runEvent('enqueue') },
    { weight: 2, arbitrary: runEvent('observeRunning') },
    { weight: 7, arbitrary: fc.record({ kind: fc.constant('remove' as const), run: runName }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('admissionFailed' as const), run: runName }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('decide' as const), advance: fc.nat(8) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('setMaxConcurrentRuns' as const), limit: size.blocking ? fc.constantFrom(0, 8) : fc.nat(5) }) },
  );
}

/** A scenario: every Workflow defined and a global limit set, then `events` random events. */
export function scenarioArbitrary(size: WorldSize, events: number): fc.Arbitrary<Event[]> {
  const setup = fc.tuple(
    fc.record({ kind: fc.constant('setMaxConcurrentRuns' as const), limit: size.blocking ? fc.constantFrom(0, 8) : fc.nat(5) }),
    ...Array.from({ length: size.workflows }, (_, n) => workflowSetup(size)(n)),
  );
  return fc
    .tuple(setup, fc.array(eventArbitrary(size), { minLength: Math.floor(events / 2), maxLength: events }))
    .map(([first, rest]) => [...first, ...rest]);
}

export const workflowId = (n: number) => `default/w${n}`;
export const runId = (n: number) => `default/r${n}`;

/** Replays events on one implementation, with its own clock (µs). */
export class Driver {
  readonly admission: Admission;
  now = 1_000;
  /** The run the last enqueue or observeRunning event told the engine about. */
  lastRun: QueuedRun | undefined;

  constructor(admission: Admission) {
    this.admission = admission;
  }

  /** Applies one event; returns the decisions if it was a cycle. */
  apply(event: Event): Decision[] | undefined {
    const a = this.admission;
    switch (event.kind) {
      case 'upsertWorkflow': {
        const limits: WorkflowLimits = { id: workflowId(event.workflow), entries: event.entries };
        if (event.timeout !== undefined) limits.scheduleTimeoutMicros = event.timeout;
        a.upsertWorkflow(limits);
        return undefined;
      }
      case 'removeWorkflow':
        a.removeWorkflow(workflowId(event.workflow));
        return undefined;
      case 'enqueue':
        a.enqueue(this.runOf(event));
        return undefined;
      case 'observeRunning':
        a.observeRunning(this.runOf(event));
        return undefined;
      case 'remove':
        a.remove(runId(event.run));
        return undefined;
      case 'admissionFailed':
        a.admissionFailed(runId(event.run));
        return undefined;
      case 'setMaxConcurrentRuns':
        a.setMaxConcurrentRuns(event.limit);
        return undefined;
      case 'decide':
        this.now += event.advance;
        return a.decide(this.now);
    }
  }

  private runOf(event: RunEvent): QueuedRun {
    const keys: RunKey[] = [];
    event.keys.forEach((key, i) => {
      if (key !== null) keys.push({ expression: expressions[i] as string, key });
    });
    this.lastRun = { id: runId(event.run), workflow: workflowId(event.workflow), keys, priority: event.priority, queuedAt: this.now - event.age };
    return this.lastRun;
  }
}

/** Property runs: a fixed seed keeps CI reproducible; SLUICE_FC_SEED explores others. */
export function propertyParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.SLUICE_FC_SEED;
  return { numRuns, seed: seed === undefined ? 0x5e1ce : Number(seed) };
}
