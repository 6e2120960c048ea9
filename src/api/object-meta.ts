// The part of metav1.ObjectMeta sluice reads. The API server validates
// metadata itself, so this only types it; unknown fields (finalizers,
// managedFields, ...) pass through untouched, so an object parsed here can be
// written back without losing them.
import { z } from 'zod';

export const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.output<typeof ownerReferenceSchema>;

export const objectMetaSchema = z.looseObject({
  name: z.string(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
});
export type ObjectMeta = z.output<typeof objectMetaSchema>;
