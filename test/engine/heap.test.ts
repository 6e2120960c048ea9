import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedHeap } from '../../src/engine/heap.ts';
import { propertyParameters } from './events.ts';

interface Item {
  name: number;
  primary: number;
  secondary: number;
  slot: number;
}

const byKeys = (a: Item, b: Item) => a.primary - b.primary || a.secondary - b.secondary || a.name - b.name;

describe('KeyedHeap', () => {
  it('always yields the smallest value, across pushes, removals (of the first, too) and re-ranked values', () => {
    const key = fc.integer({ min: -3, max: 3 });
    const operation = fc.oneof(
      fc.record({ push: fc.tuple(key, key) }),
      fc.record({ remove: fc.nat() }),
      fc.record({ rerank: fc.nat(), to: fc.tuple(key, key) }),
      fc.constant({ removeFirst: true as const }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 300 }), (operations) => {
        const heap = new KeyedHeap<Item>((a, b) => a.name - b.name);
        const held: Item[] = [];
        let names = 0;
        for (const op of operations) {
          if ('push' in op) {
            const item = { name: names++, primary: op.push[0], secondary: op.push[1], slot: -1 };
            item.slot = heap.push(item, item.primary, item.secondary);
            held.push(item);
          } else if ('removeFirst' in op) {
            const first = heap.peek();
            if (first) {
              heap.remove(first.slot);
              held.splice(held.indexOf(first), 1);
            }
          } else if (held.length > 0) {
            const index = ('remove' in op ? op.remove : op.rerank) % held.length;
            const item = held[index] as Item;
            if ('remove' in op) {
              heap.remove(item.slot);
              held.splice(index, 1);
            } else {
              [item.primary, item.secondary] = op.to;
              heap.update(item.slot, item.primary, item.secondary);
            }
          }
          expect(heap.size).toBe(held.length);
          expect(heap.peek()).toBe([...held].sort(byKeys)[0]);
        }
      }),
      propertyParameters(500),
    );
  });
});
