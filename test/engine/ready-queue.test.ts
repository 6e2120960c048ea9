import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_SLOT } from '../../src/engine/heap.ts';
import { admissionOrder } from '../../src/engine/ordering.ts';
import { ReadyQueue, type ReadyLink } from '../../src/engine/ready-queue.ts';
import { propertyParameters } from './events.ts';

interface Run {
  id: string;
  priority: number;
  queuedAt: number;
}

/** A run's place in the queue, apart from the run as a membership that is not a run's first is. */
interface Link extends ReadyLink<Run, Link> {
  readonly run: Run;
}

function linkTo(run: Run): Link {
  return { run, readySlot: NO_SLOT, readyNext: undefined, readyPrev: undefined };
}

/** The admission order, spelled out: higher priority, then oldest, then id. */
function admissionCompare(a: Run, b: Run): number {
  return (
    admissionOrder.priority * (a.priority - b.priority) ||
    admissionOrder.queuedAt * (a.queuedAt - b.queuedAt) ||
    admissionOrder.id * (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

describe('ReadyQueue', () => {
  it('always yields the first run in admission order, across in-order and late arrivals, removals anywhere and runs coming back', () => {
    // Mostly in queuedAt order (the list's fast path), sometimes older (the heap), with ties on queuedAt.
    const operation = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          add: fc.constantFrom(1, 2, 3),
          age: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: 0, max: 40 })),
          // Whether the caller says so when the run is the newest ever: it need not.
          hint: fc.boolean(),
        }),
      },
      { weight: 3, arbitrary: fc.record({ remove: fc.nat() }) },
      { weight: 2, arbitrary: fc.constant({ removeFirst: true as const }) },
      { weight: 1, arbitrary: fc.record({ comeBack: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        const queue = new ReadyQueue<Run, Link>();
        const held: Link[] = [];
        const gone: Link[] = [];
        let clock = 100;
        let names = 0;
        let newestEver = -Infinity;
        const add = (link: Link, hint: boolean) => {
          const newest = link.run.queuedAt > newestEver;
          newestEver = Math.max(newestEver, link.run.queuedAt);
          queue.addReady(link, hint && newest);
          held.push(link);
        };
        const sorted = () => [...held].sort((a, b) => admissionCompare(a.run, b.run));
        for (const op of operations) {
          if ('add' in op) {
            // Ids are not in queuedAt order, so ties on queuedAt are broken by id both ways.
            const run = { id: `r${(names++ * 7919) % 1000}-${names}`, priority: op.add, queuedAt: clock - op.age };
            if (op.age === 0 && names % 3 !== 0) clock += 1;
            add(linkTo(run), op.hint);
          } else if ('comeBack' in op) {
            // A run that left (parked, or its admission failed) queues again, as the same link.
            if (gone.length === 0) continue;
            const [link] = gone.splice(op.comeBack % gone.length, 1);
            add(link!, true);
          } else {
            if (held.length === 0) continue;
            const leaving = 'remove' in op ? held[op.remove % held.length]! : sorted()[0]!;
            if ('removeFirst' in op) expect(queue.firstReady()).toBe(leaving.run);
            held.splice(held.indexOf(leaving), 1);
            queue.removeReady(leaving);
            expect(leaving.readySlot).toBe(NO_SLOT);
            gone.push(leaving);
          }
          expect(queue.hasReady).toBe(held.length > 0);
          expect(queue.firstReady()).toBe(sorted()[0]?.run);
        }
        // Emptied from the front, it gives every run in admission order.
        for (const link of sorted()) {
          expect(queue.firstReady()).toBe(link.run);
          queue.removeReady(link);
        }
        expect(queue.hasReady).toBe(false);
        expect(queue.firstReady()).toBeUndefined();
      }),
      propertyParameters(500),
    );
  });

  it('keeps its order through long runs of removals from the middle while arrivals keep coming at the back', () => {
    const queue = new ReadyQueue<Run, Link>();
    const held: Link[] = [];
    for (let i = 0; i < 20_000; i++) {
      const link = linkTo({ id: `r${i}`, priority: 1, queuedAt: i });
      queue.addReady(link, true);
      held.push(link);
    }
    // Remove every run but each tenth from the middle, then take the rest from the front.
    const kept = held.filter((link) => {
      if (link.run.queuedAt % 10 === 0 || link.run.queuedAt <= 100) return true;
      queue.removeReady(link);
      return false;
    });
    const arrivals: Link[] = [];
    for (const link of kept) {
      expect(queue.firstReady()).toBe(link.run);
      queue.removeReady(link);
      const arrival = linkTo({ id: `n${link.run.queuedAt}`, priority: 1, queuedAt: 100_000 + link.run.queuedAt });
      queue.addReady(arrival, true);
      arrivals.push(arrival);
    }
    // Only the arrivals are left, in order.
    for (const arrival of arrivals) {
      expect(queue.firstReady()).toBe(arrival.run);
      queue.removeReady(arrival);
    }
    expect(queue.hasReady).toBe(false);
  });

  it('puts an arrival that is not the newest by its keys, not by the order it came in', () => {
    const queue = new ReadyQueue<Run, Link>();
    const runs = [
      { id: 'b', priority: 1, queuedAt: 10 },
      { id: 'a', priority: 1, queuedAt: 10 },
      { id: 'c', priority: 2, queuedAt: 30 },
      { id: 'd', priority: 1, queuedAt: 5 },
    ];
    const links = runs.map(linkTo);
    for (const link of links) queue.addReady(link, false);
    for (const id of ['c', 'd', 'a', 'b']) {
      const first = links.find((link) => link.run === queue.firstReady())!;
      expect(first.run.id).toBe(id);
      queue.removeReady(first);
    }
  });
});
