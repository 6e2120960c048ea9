import { describe, expect, it } from 'vitest';
import {
  conditionSchema,
  findStatusCondition,
  isStatusConditionFalse,
  isStatusConditionTrue,
  removeStatusCondition,
  sameConditions,
  setStatusCondition,
  type Condition,
} from '../../src/api/index.ts';

const t0 = '2026-11-22T23:00:00.000000Z';
const t1 = '2026-11-22T23:05:00.000000Z';
const t2 = '2026-11-22T23:10:00.000000Z';

const ready: Condition = { type: 'Ready', status: 'True', lastTransitionTime: t0, reason: 'Valid', message: 'ok', observedGeneration: 1 };
const other: Condition = { type: 'Other', status: 'False', lastTransitionTime: t0, reason: 'Because', message: '' };

describe('setStatusCondition (a port of meta.SetStatusCondition)', () => {
  const cases: { name: string; before: Condition[]; update: Parameters<typeof setStatusCondition>[1]; after: Condition[] }[] = [
    {
      name: 'adds a new type at the end, with now as its transition time',
      before: [other],
      update: { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok', observedGeneration: 1 },
      after: [other, { ...ready, lastTransitionTime: t1 }],
    },
    {
      name: 'adds with the transition time the update carries',
      before: [],
      update: { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok', observedGeneration: 1, lastTransitionTime: t2 },
      after: [{ ...ready, lastTransitionTime: t2 }],
    },
    {
      name: 'moves the transition time when the status changes',
      before: [ready, other],
      update: { type: 'Ready', status: 'False', reason: 'InvalidInputSchema', message: 'bad', observedGeneration: 2 },
      after: [{ type: 'Ready', status: 'False', lastTransitionTime: t1, reason: 'InvalidInputSchema', message: 'bad', observedGeneration: 2 }, other],
    },
    {
      name: 'keeps the transition time when only reason, message and generation change',
      before: [ready],
      update: { type: 'Ready', status: 'True', reason: 'StillValid', message: 'still ok', observedGeneration: 3 },
      after: [{ ...ready, reason: 'StillValid', message: 'still ok', observedGeneration: 3 }],
    },
    {
      name: 'ignores the update transition time when the status stays',
      before: [ready],
      update: { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok', observedGeneration: 1, lastTransitionTime: t2 },
      after: [ready],
    },
    {
      name: 'drops observedGeneration when the update has none (0 and unset are the same in Go)',
      before: [ready],
      update: { type: 'Ready', status: 'True', reason: 'Valid', message: 'ok' },
      after: [{ type: 'Ready', status: 'True', lastTransitionTime: t0, reason: 'Valid', message: 'ok' }],
    },
  ];

  it.each(cases)('$name', ({ before, update, after }) => {
    const snapshot = structuredClone(before);
    const result = setStatusCondition(before, update, t1);
    expect(result).toEqual(after);
    expect(before).toEqual(snapshot);
    for (const c of result) expect(conditionSchema.safeParse(c).success).toBe(true);
  });

  it('is idempotent', () => {
    const update = { type: 'Ready', status: 'False' as const, reason: 'InvalidConcurrencyExpression', message: 'entry 0', observedGeneration: 4 };
    const once = setStatusCondition([ready, other], update, t1);
    const twice = setStatusCondition(once, update, t2);
    expect(twice).toEqual(once);
    expect(sameConditions(once, twice)).toBe(true);
    expect(sameConditions(once, [ready, other])).toBe(false);
  });
});

describe('condition lookups', () => {
  it('find, test and remove by type', () => {
    expect(findStatusCondition([ready, other], 'Other')).toBe(other);
    expect(findStatusCondition(undefined, 'Ready')).toBeUndefined();
    expect(isStatusConditionTrue([ready], 'Ready')).toBe(true);
    expect(isStatusConditionFalse([ready], 'Ready')).toBe(false);
    expect(isStatusConditionFalse([other], 'Other')).toBe(true);
    expect(isStatusConditionTrue([], 'Ready')).toBe(false);
    expect(removeStatusCondition([ready, other], 'Ready')).toEqual([other]);
  });
});

describe('conditionSchema', () => {
  it('takes microsecond times and refuses what metav1.Condition refuses', () => {
    expect(conditionSchema.safeParse(ready).success).toBe(true);
    expect(conditionSchema.safeParse({ ...ready, reason: '' }).success).toBe(false);
    expect(conditionSchema.safeParse({ ...ready, reason: 'not camel case' }).success).toBe(false);
    expect(conditionSchema.safeParse({ ...ready, status: 'Yes' }).success).toBe(false);
    expect(conditionSchema.safeParse({ ...ready, lastTransitionTime: 'now' }).success).toBe(false);
  });
});
