import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/kubernetes/fifo.ts';

describe('Fifo', () => {
  it('gives items back in the order they came, and counts them, across the compactions of a long queue', () => {
    // Runs of pushes and shifts long enough to pass the 1,024 items it compacts at.
    const steps = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3000 })), { maxLength: 12 });
    fc.assert(
      fc.property(steps, (plan) => {
        const fifo = new Fifo<number>();
        let pushed = 0;
        let taken = 0;
        let wrong = 0;
        const take = () => {
          const item = fifo.shift();
          if (taken < pushed ? item !== taken++ : item !== undefined) wrong += 1;
        };
        for (const [push, count] of plan) {
          for (let i = 0; i < count; i++) {
            if (push) fifo.push(pushed++);
            else take();
            if (fifo.size !== pushed - taken) wrong += 1;
          }
        }
        while (taken < pushed) take();
        take();
        expect(wrong).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
