// What only the engine has: input checks, its counts, and its memory.
import { describe, expect, it } from 'vitest';
import { AdmissionEngine, constantLimit, type QueuedRun } from '../../src/engine/index.ts';
import { id, run, runs, workflow } from './builders.ts';

describe('AdmissionEngine', () => {
  it('refuses limits the API server would refuse, naming the Workflow and the entry', () => {
    const engine = new AdmissionEngine({ maxConcurrentRuns: 0 });
    expect(() => engine.upsertWorkflow(workflow().limit('input.a', 1).limit('input.a', 2).build())).toThrow(/default\/wf: expression "input.a" appears twice/);
    expect(() => engine.upsertWorkflow(workflow().limit('input.a', 0).build())).toThrow(/default\/wf: entry "input.a": maxRuns must be an integer >= 1, got 0/);
    expect(() => engine.upsertWorkflow(workflow().limit('input.a', 1).timeout(-1).build())).toThrow(/scheduleTimeoutMicros/);
    expect(() => engine.setMaxConcurrentRuns(-1)).toThrow(/maxConcurrentRuns must be an integer >= 0/);
    expect(() => new AdmissionEngine({ maxConcurrentRuns: 1.5 })).toThrow(/maxConcurrentRuns/);
  });

  it('reads the integer shorthand as one constant group with round robin', () => {
    expect(constantLimit(5)).toEqual({ expression: "'constant'", maxRuns: 5, strategy: 'GROUP_ROUND_ROBIN' });
  });

  it('counts queued and running runs and groups, per Workflow', () => {
    const engine = new AdmissionEngine({ maxConcurrentRuns: 0 });
    engine.upsertWorkflow(workflow('shop').limit('input.tenant', 1).build());
    engine.upsertWorkflow(workflow('batch').build());
    for (const r of [...runs(1, 3, 'input.tenant', 'a', 'shop'), ...runs(4, 4, 'input.tenant', 'b', 'shop')]) engine.enqueue(r);
    engine.enqueue(run(5).of('batch').build());
    engine.enqueue(run(6).of('missing').build());
    engine.decide(100);
    expect(engine.stats()).toEqual({
      queued: 3,
      running: 3,
      groups: 3,
      perWorkflow: new Map([
        [id('shop'), { queued: 2, running: 2, groups: 2 }],
        [id('batch'), { queued: 0, running: 1, groups: 1 }],
        [id('missing'), { queued: 1, running: 0, groups: 0 }],
      ]),
    });
  });

  it('forgets a group when its last run leaves, and a Workflow when it is gone with its runs', () => {
    const engine = new AdmissionEngine({ maxConcurrentRuns: 0 });
    engine.upsertWorkflow(workflow('shop').limit('input.tenant', 1).build());
    for (const r of [...runs(1, 2, 'input.tenant', 'a', 'shop'), ...runs(3, 3, 'input.tenant', 'b', 'shop')]) engine.enqueue(r);
    engine.decide(100);
    engine.remove(id(3));
    expect(engine.stats().groups).toBe(1);
    engine.removeWorkflow(id('shop'));
    expect(engine.stats()).toMatchObject({ queued: 1, running: 1, groups: 0 });
    engine.remove(id(1));
    engine.remove(id(2));
    expect(engine.stats()).toEqual({ queued: 0, running: 0, groups: 0, perWorkflow: new Map() });
    expect(engine.nextDeadline()).toBeUndefined();
  });

  it('keeps a group\'s round-robin turn across a change of its Workflow that keeps the expression', () => {
    const engine = new AdmissionEngine({ maxConcurrentRuns: 1 });
    engine.upsertWorkflow(workflow().limit('input.g', 5).build());
    for (const r of [...runs(1, 2, 'input.g', 'a'), ...runs(3, 3, 'input.g', 'b')]) engine.enqueue(r);
    expect(engine.decide(100)).toEqual([{ type: 'admit', run: id(1) }]);
    engine.upsertWorkflow(workflow().limit('input.g', 4).build());
    engine.remove(id(1));
    // a admitted last, at 100; b never did and waits since 3: b goes first.
    expect(engine.decide(101)).toEqual([{ type: 'admit', run: id(3) }]);
  });

  it('gives a queued run\'s keys back as given, one copy for the runs of a group, and none for a run not queued', () => {
    const engine = new AdmissionEngine({ maxConcurrentRuns: 1 });
    engine.upsertWorkflow(workflow().limit('input.g', 5).build());
    const [first, second, third] = runs(1, 3, 'input.g', 'a');
    for (const r of [first, second, third]) engine.enqueue(r as QueuedRun);
    expect(engine.decide(100)).toEqual([{ type: 'admit', run: id(1) }]);
    expect(engine.queuedKeysOf(id(2))).toEqual([{ expression: 'input.g', key: 'a' }]);
    expect(engine.queuedKeysOf(id(2))).toBe(engine.queuedKeysOf(id(3)));
    expect(engine.queuedKeysOf(id(1))).toBeUndefined();
    expect(engine.queuedKeysOf(id(4))).toBeUndefined();
  });
});
