// Properties over thousands of random event sequences: the engine decides
// exactly as the reference model does, and its decisions keep §3.6's invariants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdmissionEngine, type Decision } from '../../src/engine/index.ts';
import type { Admission } from './builders.ts';
import { Driver, propertyParameters, runId, scenarioArbitrary, type Event, type WorldSize } from './events.ts';
import { ReferenceModel } from './reference.ts';
import { World } from './world.ts';

const worlds: Record<string, { size: WorldSize; events: number; numRuns: number }> = {
  'a crowded world (2 Workflows, 12 run names)': { size: { workflows: 2, runs: 12 }, events: 80, numRuns: 6000 },
  'a wider world (3 Workflows, 40 run names)': { size: { workflows: 3, runs: 40 }, events: 160, numRuns: 2000 },
  'a blocking world (2 Workflows of 2-3 entries, 30 run names)': { size: { workflows: 2, runs: 30, blocking: true }, events: 160, numRuns: 1500 },
};

describe.each(Object.entries(worlds))('in %s', (_, { size, events, numRuns }) => {
  const sequences = scenarioArbitrary(size, events);

  it('the engine makes exactly the reference model\'s decisions, and reports the same state', () => {
    fc.assert(
      fc.property(sequences, (sequence) => {
        const engine = new Driver(new AdmissionEngine({ maxConcurrentRuns: 0 }));
        const reference = new Driver(new ReferenceModel({ maxConcurrentRuns: 0 }));
        for (const [step, event] of sequence.entries()) {
          const expected = observable(reference.admission, reference.apply(event), size.runs);
          const actual = observable(engine.admission, engine.apply(event), size.runs);
          // Comparing text first keeps thousands of sequences fast; expect() explains a difference.
          if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual, `after event ${step}`).toEqual(expected);
        }
      }),
      propertyParameters(numRuns),
    );
  }, 180_000);

  it('the engine\'s decisions keep the invariants of §3.6 and the CANCEL_* rules', () => {
    fc.assert(
      fc.property(sequences, (sequence) => {
        const engine = new AdmissionEngine({ maxConcurrentRuns: 0 });
        const driver = new Driver(engine);
        const world = new World();
        /** Groups that had a slot freed since the last cycle. */
        const freed = new Set<string>();
        for (const event of sequence) {
          if (event.kind === 'remove' || event.kind === 'admissionFailed') noteFreedSlots(world, event, freed);
          const decisions = driver.apply(event);
          world.observe(event, driver.lastRun);
          if (!decisions) continue;
          // 1, 2. Never beyond maxRuns in a group nor the global limit; never two Jobs for a run (checked as each decision applies).
          for (const decision of decisions) world.apply(decision);
          // 3. No run waits while all its groups and a global slot have room.
          expect(world.admissible().map((seen) => seen.run.id)).toEqual([]);
          // 4. Every freed slot is reused: a group that freed a slot is full again, or none of its queued runs could start.
          for (const groupId of freed) {
            const group = world.groups().get(groupId);
            if (group && world.holding(group.group) < group.group.maxRuns) {
              expect(group.members.filter((seen) => world.admissible().includes(seen))).toEqual([]);
            }
          }
          freed.clear();
          checkCancelRules(world);
          // 5. The engine holds no group without runs, and counts what the world counts.
          const stats = engine.stats();
          expect(stats.groups).toBe(world.groups().size);
          expect(stats.queued).toBe([...world.runs.values()].filter((seen) => seen.state === 'queued').length);
          expect(stats.running).toBe(world.holdingOverall());
          expect(new Set(stats.perWorkflow.keys())).toEqual(new Set([...world.workflows.keys(), ...[...world.runs.values()].map((seen) => seen.run.workflow)]));
        }
      }),
      propertyParameters(Math.ceil(numRuns / 2)),
    );
  }, 180_000);
});

/** Everything the operator can see of an implementation after one event. */
function observable(admission: Admission, decisions: Decision[] | undefined, runs: number) {
  const stats = admission.stats();
  return {
    decisions,
    stats: { ...stats, perWorkflow: [...stats.perWorkflow.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) },
    nextDeadline: admission.nextDeadline(),
    states: Array.from({ length: runs }, (_, n) => admission.runState(runId(n))),
  };
}

function noteFreedSlots(world: World, event: Extract<Event, { kind: 'remove' | 'admissionFailed' }>, freed: Set<string>): void {
  const seen = world.runs.get(runId(event.run));
  if (!seen || seen.state === 'queued') return;
  for (const group of world.groupsOf(seen)) freed.add(group.id);
}

/** After every cycle each CANCEL_* group keeps no more runs than its rule allows (§3.2, §3.3, §3.3a). */
function checkCancelRules(world: World): void {
  for (const { group, members } of world.groups().values()) {
    const queued = members.filter((seen) => seen.state === 'queued').length;
    const running = members.filter((seen) => seen.state === 'running').length;
    const holding = world.holding(group);
    switch (group.strategy) {
      case 'CANCEL_IN_PROGRESS':
        expect(queued + running, `${group.id} keeps at most maxRuns active runs`).toBeLessThanOrEqual(group.maxRuns);
        break;
      case 'CANCEL_NEWEST':
        expect(queued, `${group.id} keeps only the queued runs that fit`).toBeLessThanOrEqual(Math.max(0, group.maxRuns - holding));
        break;
      case 'CANCEL_QUEUED_EXCEPT_NEWEST':
      case 'CANCEL_QUEUED_EXCEPT_OLDEST':
        expect(queued, `${group.id} keeps at most maxRuns queued runs`).toBeLessThanOrEqual(group.maxRuns);
        break;
      case 'GROUP_ROUND_ROBIN':
        break;
    }
  }
}
