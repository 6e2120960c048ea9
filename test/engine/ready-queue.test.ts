import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admissionOrder } from '../../src/engine/ordering.ts';
import { ReadyQueue } from '../../src/engine/ready-queue.ts';
import { propertyParameters } from './events.ts';

interface Run {
  id: string;
  priority: number;
  queuedAt: number;
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
  it('always yields the first run in admission order, across in-order and late arrivals and removals anywhere', () => {
    // Mostly in queuedAt order (the lanes' fast path), sometimes older (their heaps), with ties on queuedAt.
    const operation = fc.oneof(
      { weight: 6, arbitrary: fc.record({ add: fc.constantFrom(1, 2, 3), age: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: 0, max: 40 })) }) },
      { weight: 3, arbitrary: fc.record({ remove: fc.nat() }) },
      { weight: 2, arbitrary: fc.constant({ removeFirst: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        const queue = new ReadyQueue<Run>();
        const held: { run: Run; slot: number }[] = [];
        let clock = 100;
        let names = 0;
        for (const op of operations) {
          if ('add' in op) {
            // Ids are not in queuedAt order, so ties on queuedAt are broken by id both ways.
            const run = { id: `r${(names++ * 7919) % 1000}-${names}`, priority: op.add, queuedAt: clock - op.age };
            if (op.age === 0 && names % 3 !== 0) clock += 1;
            held.push({ run, slot: queue.add(run) });
          } else if ('remove' in op) {
            if (held.length === 0) continue;
            const [gone] = held.splice(op.remove % held.length, 1);
            queue.remove(gone!.slot);
          } else {
            if (held.length === 0) continue;
            const best = [...held].sort((a, b) => admissionCompare(a.run, b.run))[0]!;
            expect(queue.peek()).toBe(best.run);
            held.splice(held.indexOf(best), 1);
            queue.remove(best.slot);
          }
          expect(queue.size).toBe(held.length);
          const best = [...held].sort((a, b) => admissionCompare(a.run, b.run))[0];
          expect(queue.peek()).toBe(best?.run);
        }
      }),
      propertyParameters(500),
    );
  });

  it('keeps its order through long runs of removals that force holes to be squeezed out and the front given back', () => {
    const queue = new ReadyQueue<Run>();
    const held = new Map<number, Run>();
    for (let i = 0; i < 20_000; i++) {
      const run = { id: `r${i}`, priority: 1, queuedAt: i };
      held.set(queue.add(run), run);
    }
    // Remove every run but each tenth from the middle, then take the rest from the front.
    for (const [slot, run] of [...held]) {
      if (run.queuedAt % 10 !== 0 && run.queuedAt > 100) {
        queue.remove(slot);
        held.delete(slot);
      }
    }
    const order = [...held.values()].sort(admissionCompare);
    const slotOf = new Map([...held].map(([slot, run]) => [run, slot]));
    for (const run of order) {
      expect(queue.peek()).toBe(run);
      queue.remove(slotOf.get(run)!);
      // Arrivals keep coming at the back meanwhile.
      const late = { id: `n${run.queuedAt}`, priority: 1, queuedAt: 100_000 + run.queuedAt };
      slotOf.set(late, queue.add(late));
    }
    // Only the arrivals are left, in order.
    expect(queue.size).toBe(order.length);
    expect(queue.peek()?.id).toBe(`n${order[0]!.queuedAt}`);
  });
});
