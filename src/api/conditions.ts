// Status conditions in the shape of metav1.Condition, and a port of
// apimachinery's meta.SetStatusCondition family. Pure: the caller passes the
// time, and a new list is returned rather than the old one changed.
import { z } from 'zod';

export const conditionStatuses = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof conditionStatuses)[number];

const reasonPattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const typePattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;

export const conditionSchema = z
  .object({
    type: z.string().max(316).regex(typePattern).describe('Type of the condition, in CamelCase (for example Ready).'),
    status: z.enum(conditionStatuses).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation the condition was set from; older than the current generation means the condition is out of date.'),
    lastTransitionTime: z
      .iso.datetime({ offset: true })
      .describe('When the condition last changed status (RFC 3339). A change of reason or message alone does not move it.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(reasonPattern)
      .describe("A CamelCase word for the condition's last transition, for programs (for example InvalidConcurrencyExpression)."),
    message: z.string().max(32_768).describe('A human-readable explanation of the transition; may be empty.'),
  })
  .describe('A condition of the object, in the standard Kubernetes (metav1.Condition) shape.');
export type Condition = z.output<typeof conditionSchema>;

/** A list of conditions keyed by type, as every Kubernetes API declares it. */
export const conditionsSchema = z
  .array(conditionSchema)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

/** What a caller sets: a condition whose lastTransitionTime the helper fills in. */
export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

export function findStatusCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isStatusConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === 'True';
}

export function isStatusConditionFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === 'False';
}

export function removeStatusCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

function withObservedGeneration(condition: Condition, observedGeneration: number | undefined): Condition {
  const { observedGeneration: _old, ...rest } = condition;
  return observedGeneration === undefined ? rest : { ...rest, observedGeneration };
}

/**
 * The conditions with `update` set, as meta.SetStatusCondition does: a new type
 * is appended; for an existing type, status, reason, message and
 * observedGeneration are replaced, and lastTransitionTime moves (to the
 * update's own lastTransitionTime, else `now`) only when the status changes.
 * Order is kept. `now` is an RFC 3339 time (formatMicroTime).
 */
export function setStatusCondition(conditions: readonly Condition[], update: ConditionUpdate, now: string): Condition[] {
  const index = conditions.findIndex((c) => c.type === update.type);
  const transitionTime = update.lastTransitionTime ?? now;
  if (index === -1) {
    const added = withObservedGeneration(
      { type: update.type, status: update.status, lastTransitionTime: transitionTime, reason: update.reason, message: update.message },
      update.observedGeneration,
    );
    return [...conditions, added];
  }
  const existing = conditions[index] as Condition;
  const updated = withObservedGeneration(
    {
      type: existing.type,
      status: update.status,
      lastTransitionTime: existing.status === update.status ? existing.lastTransitionTime : transitionTime,
      reason: update.reason,
      message: update.message,
    },
    update.observedGeneration,
  );
  return conditions.map((c, i) => (i === index ? updated : c));
}

/** Whether two condition lists say the same (same types in the same order, every field equal). */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return (
    left.length === right.length &&
    left.every((c, i) => {
      const d = right[i];
      return (
        d !== undefined &&
        c.type === d.type &&
        c.status === d.status &&
        c.reason === d.reason &&
        c.message === d.message &&
        c.lastTransitionTime === d.lastTransitionTime &&
        (c.observedGeneration ?? 0) === (d.observedGeneration ?? 0)
      );
    })
  );
}
