// The Workflow resource (SPEC §1). These zod schemas are the source of truth:
// the CRD's openAPIV3Schema is generated from them (crds.ts), so a field's
// type, bounds, default and description are written once, here. Checks the API
// server makes with CEL (x-kubernetes-validations) are mirrored by a zod
// refinement beside them, so that parseWorkflow refuses what the API server
// refuses.
import { z } from 'zod';
import { conditionsSchema } from './conditions.ts';
import { durationPattern, parseDurationNanos } from './duration.ts';
import { objectMetaSchema } from './object-meta.ts';
import { parseWith, type ParseResult } from './parse.ts';
import { constantExpression, defaultLimitStrategy, limitStrategies } from './vocabulary.ts';

/** At most this many concurrency entries per Workflow (SPEC §1). */
export const maxConcurrencyEntries = 8;
/** At most this many characters per concurrency expression (SPEC §2). */
export const maxExpressionLength = 1024;

/** Marks a field the API server stores as it comes (any JSON object below it). */
export const preserveUnknownFields = { 'x-kubernetes-preserve-unknown-fields': true } as const;

const uniqueExpressionsRule = 'self.all(e, self.exists_one(f, f.expression == e.expression))';
const positiveDurationRule = "duration(self) > duration('0s')";

export const concurrencyEntrySchema = z
  .object({
    expression: z
      .string()
      .min(1)
      .max(maxExpressionLength)
      .default(constantExpression)
      .describe(
        "A CEL expression over the run that computes its group key: input (spec.input), additional_metadata, workflow_run_id (the run's name) and metadata ({name, namespace, labels, annotations}). " +
          'The result must be a string (an int, uint, bool or double is converted to its string form) of at most 256 characters. ' +
          `Defaults to ${constantExpression}: one group for every run of the Workflow.`,
      ),
    maxRuns: z.int().min(1).describe('How many runs of one group may run at once. At least 1.'),
    limitStrategy: z
      .enum(limitStrategies)
      .default(defaultLimitStrategy)
      .describe(
        'What happens when a group is full. GROUP_ROUND_ROBIN (default): runs wait, and groups take turns. ' +
          'CANCEL_IN_PROGRESS: the newest runs are kept and the oldest active ones cancelled (running ones by deleting their Job). ' +
          'CANCEL_NEWEST: a run that finds its group full is cancelled. ' +
          'CANCEL_QUEUED_EXCEPT_NEWEST / CANCEL_QUEUED_EXCEPT_OLDEST: besides the running runs, only the newest / oldest maxRuns queued runs are kept.',
      ),
  })
  .describe('One concurrency limit: the runs that compute the same key with this expression form a group; at most maxRuns of a group run at once.');
export type ConcurrencyEntry = z.output<typeof concurrencyEntrySchema>;

const concurrencySchema = z
  .array(concurrencyEntrySchema)
  .max(maxConcurrencyEntries)
  .default([])
  .superRefine((entries, ctx) => {
    const first = new Map<string, number>();
    entries.forEach((entry, index) => {
      const earlier = first.get(entry.expression);
      if (earlier === undefined) first.set(entry.expression, index);
      else ctx.addIssue({ code: 'custom', path: [index, 'expression'], message: `duplicate expression ${JSON.stringify(entry.expression)}, already in entry ${earlier}: expressions must be unique within spec.concurrency` });
    });
  })
  .meta({ 'x-kubernetes-validations': [{ rule: uniqueExpressionsRule, message: 'expressions must be unique within spec.concurrency' }] })
  .describe(
    `Concurrency limits, 0 to ${maxConcurrencyEntries} entries; a run must satisfy every entry, and is admitted only when all its groups have room at the same moment. ` +
      'No entries: no per-group limit (only the operator-wide limit applies). ' +
      `The integer shorthand "concurrency 5" is [{maxRuns: 5}] (expression ${constantExpression}, GROUP_ROUND_ROBIN).`,
  );

export const workflowSpecSchema = z
  .object({
    concurrency: concurrencySchema,
    scheduleTimeout: z
      .string()
      .max(64)
      .regex(durationPattern)
      .refine((text) => (parseDurationNanos(text) ?? 0n) > 0n, 'must be a duration greater than 0')
      .optional()
      .meta({ 'x-kubernetes-validations': [{ rule: positiveDurationRule, message: 'must be a duration greater than 0' }] })
      .describe('A Go duration (for example 5m, 1h30m): a run queued longer than this is cancelled with reason ScheduleTimeout. No timeout when absent.'),
    inputSchema: z
      .record(z.string(), z.unknown())
      .optional()
      .meta(preserveUnknownFields)
      .describe(
        "A JSON Schema (an object) every run's spec.input must satisfy; a run whose input does not fails with reason InvalidInput. " +
          'An invalid schema makes the Workflow not Ready (reason InvalidInputSchema).',
      ),
    template: z
      .record(z.string(), z.unknown())
      .meta(preserveUnknownFields)
      .describe(
        'A batch/v1 JobTemplateSpec ({metadata, spec}): the Job each admitted run becomes. sluice names the Job after the run, owns it by the run, ' +
          'adds the labels sluice.dev/workflow and sluice.dev/workflow-run, and gives every container SLUICE_INPUT, SLUICE_WORKFLOW, ' +
          'SLUICE_WORKFLOW_RUN and SLUICE_ADDITIONAL_METADATA. restartPolicy defaults to Never.',
      ),
  })
  .describe('How many runs of this Workflow may run at once, per group, and the Job each run becomes.');
export type WorkflowSpec = z.output<typeof workflowSpecSchema>;

const count = (what: string) => z.int().min(0).optional().describe(`Number of runs ${what}.`);

export const runCountsSchema = z
  .object({
    pending: count('Pending: waiting for the Workflow to exist or be fixed'),
    queued: count('Queued: waiting for a slot'),
    running: count('Running: their Job runs'),
    succeeded: count('Succeeded'),
    failed: count('Failed'),
    cancelled: count('Cancelled'),
  })
  .describe("The Workflow's runs, counted by phase.");
export type RunCounts = z.output<typeof runCountsSchema>;

export const workflowStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The .metadata.generation this status describes.'),
    conditions: conditionsSchema
      .optional()
      .describe('Ready: True when every concurrency expression compiles and the inputSchema is valid; False with reason InvalidConcurrencyExpression or InvalidInputSchema and a message naming the entry and the error.'),
    runs: runCountsSchema.optional(),
    activeGroups: z.int().min(0).optional().describe('Number of concurrency groups that have queued or running runs.'),
  })
  .describe('What the operator observes of the Workflow.');
export type WorkflowStatus = z.output<typeof workflowStatusSchema>;

export const workflowSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
  spec: workflowSpecSchema,
  status: workflowStatusSchema.optional(),
});
export type Workflow = z.output<typeof workflowSchema>;

/** Validates a Workflow read from the API server and applies the defaults of its schema. */
export function parseWorkflow(value: unknown): ParseResult<Workflow> {
  return parseWith(workflowSchema, value);
}

/** The entry the integer shorthand `concurrency: N` of the seeds stands for: one group, round robin. */
export function constantConcurrency(maxRuns: number): ConcurrencyEntry {
  return { expression: constantExpression, maxRuns, limitStrategy: defaultLimitStrategy };
}
