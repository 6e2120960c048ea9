import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashIndex, hashOf } from '../../src/engine/hash-index.ts';
import { propertyParameters } from './events.ts';

interface Run {
  id: string;
  hash: number;
}

describe('HashIndex', () => {
  it('finds and removes what a Map would, across growth, shrinking, colliding hashes and removals that shift runs back', () => {
    // Few distinct ids, so that runs come and go under the same id; many, so the table grows and shrinks.
    const operation = fc.oneof(
      { weight: 3, arbitrary: fc.record({ add: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 2, arbitrary: fc.record({ remove: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 1, arbitrary: fc.record({ get: fc.integer({ min: 0, max: 300 }) }) },
    );
    // The real hash, or one of a few values, so that long runs of equal hashes wrap around the table.
    const hashing = fc.constantFrom((id: string) => hashOf(id), (id: string) => 1 + (hashOf(id) % 3), (id: string) => 0x3fffffff - (hashOf(id) % 2));
    fc.assert(
      fc.property(hashing, fc.array(operation, { maxLength: 1000 }), (hash, operations) => {
        const index = new HashIndex<Run>((run) => run.id);
        const model = new Map<string, Run>();
        const name = (n: number) => `ns/run-${n}`;
        for (const op of operations) {
          if ('add' in op) {
            const id = name(op.add);
            if (model.has(id)) continue;
            const run = { id, hash: hash(id) };
            index.add(run);
            model.set(id, run);
          } else if ('remove' in op) {
            const id = name(op.remove);
            // Only the very object goes: another with the same id is not in the index.
            expect(index.delete({ id, hash: hash(id) })).toBe(false);
            const run = model.get(id);
            if (!run) continue;
            expect(index.delete(run)).toBe(true);
            model.delete(run.id);
          } else {
            // A copy of the id, as the caller's strings are not the engine's.
            const id = `ns/run-${String(op.get)}`;
            expect(index.get(id, hash(id))).toBe(model.get(id));
          }
        }
        for (let n = 0; n <= 300; n++) expect(index.get(name(n), hash(name(n)))).toBe(model.get(name(n)));
        expect(index.size).toBe(model.size);
        expect(new Set(index.values())).toEqual(new Set(model.values()));
      }),
      propertyParameters(300),
    );
  });
});
