// Table tests of SPEC §3 on the seed scenarios, each run against the engine and
// the reference model: both must give exactly the decisions written here.
import { describe, expect, it } from 'vitest';
import { constantLimit, CONSTANT_EXPRESSION, type Decision, type QueuedRun, type RunState, type WorkflowLimits } from '../../src/engine/index.ts';
import {
  admit,
  cancelledExceptOldest,
  cancelledInProgress,
  id,
  implementations,
  rejected,
  run,
  runs,
  supersededByNewer,
  timedOut,
  workflow,
} from './builders.ts';

interface Step {
  global?: number;
  upsert?: WorkflowLimits;
  removeWorkflow?: string;
  observe?: QueuedRun[];
  enqueue?: QueuedRun[];
  remove?: (number | string)[];
  failed?: (number | string)[];
  /** decide(at) */
  at: number;
  expect: Decision[];
  /** nextDeadline() after the cycle; null: none. */
  deadline?: number | null;
  states?: Record<string, RunState | undefined>;
}

interface Case {
  global?: number;
  workflows: WorkflowLimits[];
  steps: Step[];
}

const constant = { id: id('wf'), entries: [constantLimit(5)] };
const byGroupKey = workflow().limit('input.group_key', 5, 'CANCEL_IN_PROGRESS').build();
const byGroup = (strategy: Parameters<ReturnType<typeof workflow>['limit']>[2], maxRuns = 1) => workflow().limit('input.group', maxRuns, strategy).build();
const tierAndAccount = workflow().limit('input.tier', 20).limit('input.account', 20).build();

function tiered(from: number, to: number, tier: string, account: string): QueuedRun[] {
  const built: QueuedRun[] = [];
  for (let n = from; n <= to; n++) built.push(run(n).key('input.tier', tier).key('input.account', account).build());
  return built;
}

/** One run holds a maxRuns-1 group; ten more arrive, one cycle each. */
function tenArrivals(strategy: 'CANCEL_QUEUED_EXCEPT_NEWEST' | 'CANCEL_QUEUED_EXCEPT_OLDEST'): Case {
  const steps: Step[] = [{ enqueue: runs(1, 1, 'input.group', 'a'), at: 100, expect: admit(1) }];
  for (let n = 2; n <= 11; n++) {
    const cancelled = strategy === 'CANCEL_QUEUED_EXCEPT_NEWEST' ? [supersededByNewer(n - 1, n)] : cancelledExceptOldest(n);
    steps.push({ enqueue: runs(n, n, 'input.group', 'a'), at: 100 + n, expect: n === 2 ? [] : cancelled });
  }
  const survivor = strategy === 'CANCEL_QUEUED_EXCEPT_NEWEST' ? 11 : 2;
  steps.push({ remove: [1], at: 200, expect: admit(survivor), states: { [id(survivor)]: 'running', [id(5)]: undefined } });
  return { workflows: [byGroup(strategy)], steps };
}

const cases: Record<string, Case> = {
  'constant limit of 5 (the integer shorthand)': {
    workflows: [constant],
    steps: [
      { enqueue: runs(1, 8, CONSTANT_EXPRESSION, 'constant'), at: 100, expect: admit(1, 2, 3, 4, 5) },
      { remove: [2], at: 101, expect: admit(6) },
      { remove: [1, 3], at: 102, expect: admit(7, 8) },
    ],
  },
  'input.group_key, maxRuns 5, CANCEL_IN_PROGRESS: the 5 newest active runs are kept': {
    workflows: [byGroupKey],
    steps: [
      {
        enqueue: [...runs(1, 7, 'input.group_key', 'a'), ...runs(8, 9, 'input.group_key', 'b')],
        at: 100,
        // a waited since r1 (queuedAt 1), b since r8: the turns alternate.
        expect: [cancelledInProgress(1, 7, false), cancelledInProgress(2, 7, false), ...admit(3, 8, 4, 9, 5, 6, 7)],
      },
      { enqueue: runs(10, 10, 'input.group_key', 'a'), at: 200, expect: [cancelledInProgress(3, 10, true)], states: { [id(3)]: 'cancelling', [id(10)]: 'queued' } },
      { remove: [3], at: 201, expect: admit(10) },
    ],
  },
  'maxRuns 1, CANCEL_IN_PROGRESS on input.group: each newcomer replaces the run before it': {
    workflows: [byGroup('CANCEL_IN_PROGRESS')],
    steps: [
      { enqueue: runs(1, 1, 'input.group', 'a'), at: 10, expect: admit(1) },
      { enqueue: runs(2, 2, 'input.group', 'a'), at: 11, expect: [cancelledInProgress(1, 2, true)] },
      // r1's Job is still being deleted: it holds the slot but no longer contends.
      { enqueue: [...runs(3, 3, 'input.group', 'a'), ...runs(4, 4, 'input.group', 'b')], at: 12, expect: [cancelledInProgress(2, 3, false), ...admit(4)] },
      { remove: [1], at: 13, expect: admit(3) },
    ],
  },
  'maxRuns 1, GROUP_ROUND_ROBIN over input.group, global limit 1: strict round robin over groups': {
    global: 1,
    workflows: [byGroup('GROUP_ROUND_ROBIN')],
    steps: [
      { enqueue: [...runs(1, 5, 'input.group', 'a'), ...runs(6, 6, 'input.group', 'b'), ...runs(7, 8, 'input.group', 'c')], at: 100, expect: admit(1) },
      { remove: [1], at: 101, expect: admit(6) },
      { remove: [6], at: 102, expect: admit(7) },
      { remove: [7], at: 103, expect: admit(2) },
      { remove: [2], at: 104, expect: admit(8) },
      { remove: [8], at: 105, expect: admit(3) },
    ],
  },
  'a group with 1,000 queued runs does not delay a group with one': {
    global: 1,
    workflows: [byGroup('GROUP_ROUND_ROBIN', 10)],
    steps: [
      { enqueue: [...runs(1, 1000, 'input.group', 'big'), run('small').key('input.group', 'small').at(5000).build()], at: 10_000, expect: admit(1) },
      { remove: [1], at: 10_001, expect: admit('small') },
      { remove: ['small'], at: 10_002, expect: admit(2) },
    ],
  },
  'the round robin spans Workflows, and a Workflow without entries is one group': {
    global: 1,
    workflows: [workflow('alpha').limit(CONSTANT_EXPRESSION, 10).build(), workflow('beta').limit(CONSTANT_EXPRESSION, 10).build(), workflow('gamma').build()],
    steps: [
      {
        enqueue: [...runs(1, 3, CONSTANT_EXPRESSION, 'constant', 'alpha'), ...runs(4, 6, CONSTANT_EXPRESSION, 'constant', 'beta'), run(7).of('gamma').build()],
        at: 100,
        expect: admit(1),
      },
      { remove: [1], at: 101, expect: admit(4) },
      { remove: [4], at: 102, expect: admit(7) },
      { remove: [7], at: 103, expect: admit(2) },
      { remove: [2], at: 104, expect: admit(5) },
    ],
  },
  'CANCEL_NEWEST, maxRuns 2: free places are filled oldest first, the rest rejected at once': {
    workflows: [byGroup('CANCEL_NEWEST', 2)],
    steps: [
      { enqueue: runs(1, 5, 'input.group', 'a'), at: 100, expect: [...rejected(3, 4, 5), ...admit(1, 2)] },
      { enqueue: runs(6, 6, 'input.group', 'a'), at: 101, expect: rejected(6) },
      { remove: [1], enqueue: runs(7, 7, 'input.group', 'a'), at: 102, expect: admit(7) },
      {
        remove: [2],
        enqueue: [run(8).key('input.group', 'a').build(), run(9).key('input.group', 'a').priority(3).build()],
        at: 103,
        expect: [...rejected(8), ...admit(9)],
      },
    ],
  },
  'CANCEL_QUEUED_EXCEPT_NEWEST: of ten arrivals behind a running run, only the newest survives': tenArrivals('CANCEL_QUEUED_EXCEPT_NEWEST'),
  'CANCEL_QUEUED_EXCEPT_OLDEST: of ten arrivals behind a running run, only the oldest survives': tenArrivals('CANCEL_QUEUED_EXCEPT_OLDEST'),
  'CANCEL_QUEUED_EXCEPT_NEWEST: ten arrivals in one cycle': {
    workflows: [byGroup('CANCEL_QUEUED_EXCEPT_NEWEST')],
    steps: [
      { enqueue: runs(1, 1, 'input.group', 'a'), at: 100, expect: admit(1) },
      { enqueue: runs(2, 11, 'input.group', 'a'), at: 101, expect: [2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => supersededByNewer(n, 11)) },
      { remove: [1], at: 102, expect: admit(11) },
    ],
  },
  'CANCEL_QUEUED_EXCEPT_OLDEST: ten arrivals in one cycle': {
    workflows: [byGroup('CANCEL_QUEUED_EXCEPT_OLDEST')],
    steps: [
      { enqueue: runs(1, 1, 'input.group', 'a'), at: 100, expect: admit(1) },
      { enqueue: runs(2, 11, 'input.group', 'a'), at: 101, expect: cancelledExceptOldest(3, 4, 5, 6, 7, 8, 9, 10, 11) },
      { remove: [1], at: 102, expect: admit(2) },
    ],
  },
  'tier and account entries, maxRuns 20 each: a run needs room in both, and never blocks the runs behind it': {
    workflows: [tierAndAccount],
    steps: [
      { enqueue: tiered(1, 25, 'gold', 'acme'), at: 100, expect: admit(...Array.from({ length: 20 }, (_, i) => i + 1)) },
      // acme and gold are full: r26-r28 (silver, acme) wait; r29-r30 (silver, beta) go past them.
      { enqueue: [...tiered(26, 28, 'silver', 'acme'), ...tiered(29, 30, 'silver', 'beta')], at: 200, expect: admit(29, 30) },
      // Both acme and gold last admitted in the first cycle; acme (input.account) sorts first.
      { remove: [1], at: 300, expect: admit(21) },
      { remove: [29], at: 400, expect: [] },
      // acme frees a slot that both gold (r22) and silver (r26) want: silver waited longer.
      { remove: [2], at: 500, expect: admit(26) },
    ],
  },
  'several entries: no head-of-line blocking, no deadlock': {
    workflows: [workflow().limit('input.a', 1).limit('input.b', 1).build()],
    steps: [
      {
        enqueue: [run(1).key('input.a', '1').key('input.b', '1').build(), run(2).key('input.a', '1').key('input.b', '2').build(), run(3).key('input.a', '2').key('input.b', '2').build()],
        at: 100,
        expect: admit(1, 3),
      },
      { remove: [1], at: 101, expect: [] },
      { remove: [3], at: 102, expect: admit(2) },
    ],
  },
  'several entries: each CANCEL_* rule applies in its own group, on the same state': {
    workflows: [workflow().limit('input.a', 1, 'CANCEL_NEWEST').limit('input.b', 1, 'CANCEL_IN_PROGRESS').build()],
    steps: [
      { enqueue: [run(1).key('input.a', 'x').key('input.b', 'y').build()], at: 100, expect: admit(1) },
      // a rejects the newcomer (its group is full) and b cancels the running run for it: both go.
      { enqueue: [run(2).key('input.a', 'x').key('input.b', 'y').build()], at: 101, expect: [cancelledInProgress(1, 2, true), ...rejected(2)] },
    ],
  },
  'several entries: a run cancelled by two entries gets the first entry\'s reason': {
    workflows: [workflow().limit('input.a', 1, 'CANCEL_QUEUED_EXCEPT_OLDEST').limit('input.b', 1, 'CANCEL_NEWEST').build()],
    steps: [
      { enqueue: [1, 2, 3].map((n) => run(n).key('input.a', 'x').key('input.b', 'y').build()), at: 100, expect: [...cancelledExceptOldest(2, 3), ...admit(1)] },
    ],
  },
  'priority 3 goes before 2 before 1 within a group': {
    workflows: [workflow().limit(CONSTANT_EXPRESSION, 1).build()],
    steps: [
      { enqueue: runs(1, 1, CONSTANT_EXPRESSION, 'constant'), at: 100, expect: admit(1) },
      { enqueue: ([[2, 1], [3, 3], [4, 2]] as const).map(([n, p]) => run(n).key(CONSTANT_EXPRESSION, 'constant').priority(p).build()), at: 101, expect: [] },
      { remove: [1], at: 102, expect: admit(3) },
      { remove: [3], at: 103, expect: admit(4) },
      { remove: [4], at: 104, expect: admit(2) },
    ],
  },
  'equal queuedAt: the name breaks the tie': {
    workflows: [workflow().limit(CONSTANT_EXPRESSION, 1).build()],
    steps: [
      { enqueue: ['b', 'c', 'a'].map((n) => run(n).key(CONSTANT_EXPRESSION, 'constant').at(7).build()), at: 100, expect: admit('a') },
      { remove: ['a'], at: 101, expect: admit('b') },
    ],
  },
  'scheduleTimeout: a run queued that long is cancelled': {
    workflows: [workflow().limit(CONSTANT_EXPRESSION, 1).timeout(50).build()],
    steps: [
      { enqueue: runs(1, 3, CONSTANT_EXPRESSION, 'constant'), at: 10, expect: admit(1), deadline: 52 },
      { at: 51, expect: [], deadline: 52 },
      { at: 52, expect: timedOut(2), deadline: 53 },
      { remove: [1], at: 60, expect: timedOut(3), deadline: null },
    ],
  },
  'the global limit caps running runs across Workflows, and can change': {
    global: 2,
    workflows: [workflow('alpha').build(), workflow('beta').build()],
    steps: [
      { enqueue: [run(1).of('alpha').build(), run(2).of('alpha').build(), run(3).of('beta').build()], at: 100, expect: admit(1, 3) },
      { global: 3, at: 101, expect: admit(2) },
      { global: 1, enqueue: [run(4).of('beta').build()], remove: [1], at: 102, expect: [] },
      { remove: [2, 3], at: 103, expect: admit(4) },
    ],
  },
  'a lower maxRuns never cancels running runs under GROUP_ROUND_ROBIN': {
    workflows: [byGroup('GROUP_ROUND_ROBIN', 3)],
    steps: [
      { enqueue: runs(1, 5, 'input.group', 'a'), at: 100, expect: admit(1, 2, 3) },
      { upsert: byGroup('GROUP_ROUND_ROBIN', 1), at: 101, expect: [] },
      { remove: [1, 2], at: 102, expect: [] },
      { remove: [3], at: 103, expect: admit(4) },
    ],
  },
  'a lower maxRuns under CANCEL_IN_PROGRESS cancels the oldest beyond it': {
    workflows: [byGroup('CANCEL_IN_PROGRESS', 3)],
    steps: [
      { enqueue: runs(1, 3, 'input.group', 'a'), at: 100, expect: admit(1, 2, 3) },
      { upsert: byGroup('CANCEL_IN_PROGRESS', 1), at: 101, expect: [cancelledInProgress(1, 3, true), cancelledInProgress(2, 3, true)] },
    ],
  },
  'Workflow changed: running runs count only where their expression still exists; queued runs wait for new keys': {
    workflows: [workflow().limit('input.a', 1).limit('input.b', 1).build()],
    steps: [
      { enqueue: [run(1).key('input.a', 'x').key('input.b', 'y').build()], at: 100, expect: admit(1) },
      { upsert: workflow().limit('input.b', 1).limit('input.c', 1).build(), enqueue: [run(2).key('input.b', 'z').key('input.c', 'x').build(), run(3).key('input.b', 'y').key('input.c', 'x').build(), run(4).key('input.a', 'x').build()], at: 101, expect: admit(2) },
      { enqueue: [run(4).key('input.b', 'w').key('input.c', 'w').build()], at: 102, expect: admit(4) },
      { remove: [1], at: 103, expect: [] },
      { remove: [2], at: 104, expect: admit(3) },
    ],
  },
  'Workflow deleted: its queued runs wait, its running runs still count globally': {
    global: 2,
    workflows: [workflow().limit(CONSTANT_EXPRESSION, 5).build(), workflow('other').build()],
    steps: [
      { enqueue: runs(1, 3, CONSTANT_EXPRESSION, 'constant'), global: 2, at: 100, expect: admit(1, 2) },
      { removeWorkflow: id('wf'), enqueue: [run(4).of('other').build()], at: 101, expect: [], states: { [id(3)]: 'queued' } },
      { remove: [1], at: 102, expect: admit(4) },
      { remove: [2], upsert: workflow().limit(CONSTANT_EXPRESSION, 5).build(), at: 103, expect: admit(3) },
    ],
  },
  'assume, then write: a failed Job write queues the run again with its queuedAt': {
    workflows: [workflow().limit(CONSTANT_EXPRESSION, 1).build()],
    steps: [
      { enqueue: runs(1, 2, CONSTANT_EXPRESSION, 'constant'), at: 100, expect: admit(1), states: { [id(1)]: 'running', [id(2)]: 'queued' } },
      { failed: [1], at: 101, expect: admit(1) },
      // A stale cache that still sees r1 queued cannot get it admitted twice.
      { enqueue: runs(1, 1, CONSTANT_EXPRESSION, 'constant'), failed: [2], at: 102, expect: [], states: { [id(1)]: 'running' } },
      { remove: [1, 'unknown'], at: 103, expect: admit(2) },
    ],
  },
  'observeRunning: a Job that exists holds its slots, and observing it again changes nothing': {
    workflows: [workflow().limit(CONSTANT_EXPRESSION, 2).build()],
    steps: [
      { observe: runs(1, 2, CONSTANT_EXPRESSION, 'constant'), enqueue: runs(3, 3, CONSTANT_EXPRESSION, 'constant'), at: 100, expect: [] },
      { observe: runs(1, 2, CONSTANT_EXPRESSION, 'constant'), remove: [1], at: 101, expect: admit(3) },
    ],
  },
};

describe.each(Object.keys(implementations))('admission on the %s', (implementation) => {
  it.each(Object.entries(cases))('%s', (_, testCase) => {
    const admission = implementations[implementation]!(testCase.global ?? 0);
    for (const w of testCase.workflows) admission.upsertWorkflow(w);
    for (const [index, step] of testCase.steps.entries()) {
      if (step.global !== undefined) admission.setMaxConcurrentRuns(step.global);
      if (step.upsert) admission.upsertWorkflow(step.upsert);
      if (step.removeWorkflow) admission.removeWorkflow(step.removeWorkflow);
      for (const r of step.observe ?? []) admission.observeRunning(r);
      for (const r of step.enqueue ?? []) admission.enqueue(r);
      for (const name of step.remove ?? []) admission.remove(id(name));
      for (const name of step.failed ?? []) admission.admissionFailed(id(name));
      expect(admission.decide(step.at), `step ${index}`).toEqual(step.expect);
      if (step.deadline !== undefined) expect(admission.nextDeadline(), `deadline after step ${index}`).toBe(step.deadline ?? undefined);
      for (const [runId, state] of Object.entries(step.states ?? {})) expect(admission.runState(runId), `${runId} after step ${index}`).toBe(state);
    }
  });
});
