// The WorkflowRun resource (SPEC §1): the zod schemas the CRD is generated
// from (see workflow.ts for how the two stay one).
import { z } from 'zod';
import { conditionsSchema } from './conditions.ts';
import { objectMetaSchema } from './object-meta.ts';
import { parseWith, type ParseResult } from './parse.ts';
import { maxConcurrencyEntries, maxExpressionLength } from './workflow.ts';
import { runPhases } from './vocabulary.ts';

/** spec.input may be at most this many bytes serialized as JSON (SPEC §1). */
export const maxInputBytes = 64 * 1024;
/** A concurrency key is at most this many characters (SPEC §2). */
export const maxKeyLength = 256;

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const time = (what: string) => z.iso.datetime({ offset: true }).optional().describe(`${what} (RFC 3339 with microseconds).`);

export const workflowRunSpecSchema = z
  .object({
    workflowRef: z
      .object({
        name: z.string().min(1).max(253).regex(dnsSubdomain).describe("The Workflow's name."),
      })
      .describe("The Workflow this run belongs to, in the run's namespace."),
    input: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        `The run's input, any JSON object of at most ${maxInputBytes / 1024} KiB serialized (the operator fails a larger one with reason InvalidInput). ` +
          "CEL concurrency expressions read it as `input`; the Job's containers get it as JSON in SLUICE_INPUT.",
      ),
    additionalMetadata: z
      .record(z.string(), z.string())
      .optional()
      .describe('Free-form string pairs: `additional_metadata` in CEL expressions, JSON in SLUICE_ADDITIONAL_METADATA.'),
    priority: z
      .int()
      .min(1)
      .max(3)
      .default(1)
      .describe('1 (default) to 3: within a group, runs of higher priority are admitted first and cancelled last.'),
  })
  .meta({ 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec is immutable' }] })
  .describe('What to run; immutable once created.');
export type WorkflowRunSpec = z.output<typeof workflowRunSpecSchema>;

export const concurrencyKeySchema = z
  .object({
    expression: z.string().max(maxExpressionLength).describe('The concurrency expression of the Workflow entry.'),
    key: z.string().max(maxKeyLength).describe('What the expression evaluated to for this run: its group under that entry.'),
  })
  .describe('The key of the run under one concurrency entry.');
export type ConcurrencyKey = z.output<typeof concurrencyKeySchema>;
/** The same {expression, key} pair under the engine's name for it. */
export type RunKey = ConcurrencyKey;

export const workflowRunStatusSchema = z
  .object({
    phase: z
      .enum(runPhases)
      .optional()
      .describe(
        'Pending: waiting for its Workflow to exist or be fixed. Queued: waiting for a slot in its groups. Running: its Job exists and has not finished. ' +
          'Succeeded, Failed, Cancelled: final.',
      ),
    reason: z
      .string()
      .max(1024)
      .optional()
      .describe(
        'Why the run is in its phase, a CamelCase word: WorkflowNotFound, WorkflowNotReady, InvalidInput, ConcurrencyKeyError, Queued, Admitted, JobSucceeded, JobFailed, JobDeleted, ' +
          'CancelledInProgress, CancelledNewest, CancelledQueuedExceptNewest, CancelledQueuedExceptOldest, ScheduleTimeout.',
      ),
    message: z.string().max(32_768).optional().describe('The reason in words, naming what the user can act on (the Workflow, the entry, the run that replaced this one).'),
    concurrencyKeys: z
      .array(concurrencyKeySchema)
      .max(maxConcurrencyEntries)
      .optional()
      .describe("The run's key under each concurrency entry of its Workflow, evaluated once when it was first queued."),
    queuedAt: time('When the run was first queued'),
    startTime: time('When its Job was created'),
    completionTime: time('When it reached a final phase'),
    jobName: z.string().max(253).optional().describe("The name of the run's Job, once admitted."),
    conditions: conditionsSchema.optional().describe('Admitted: True once the Job was created. Finished: True once the run reached a final phase.'),
    observedGeneration: z.int().min(0).optional().describe('The .metadata.generation this status describes.'),
  })
  .describe('What the operator decided and observed for this run.');
export type WorkflowRunStatus = z.output<typeof workflowRunStatusSchema>;

export const workflowRunSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
  spec: workflowRunSpecSchema,
  status: workflowRunStatusSchema.optional(),
});
export type WorkflowRun = z.output<typeof workflowRunSchema>;

/** Validates a WorkflowRun read from the API server and applies the defaults of its schema. */
export function parseWorkflowRun(value: unknown): ParseResult<WorkflowRun> {
  return parseWith(workflowRunSchema, value);
}

const encoder = new TextEncoder();

/** Bytes of `value` serialized as JSON (UTF-8). */
export function serializedSize(value: unknown): number {
  return encoder.encode(JSON.stringify(value) ?? '').length;
}

/**
 * Why spec.input is too large, or undefined when it fits. The API server cannot
 * measure a free-form object's serialized size, so the operator checks this
 * itself and fails the run with reason InvalidInput.
 */
export function inputSizeError(input: unknown): string | undefined {
  const size = serializedSize(input ?? {});
  return size > maxInputBytes ? `spec.input is ${size} bytes serialized as JSON; at most ${maxInputBytes} are allowed` : undefined;
}
