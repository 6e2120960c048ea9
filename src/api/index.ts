/**
 * sluice's API: the Workflow and WorkflowRun resources (zod schemas, the types
 * they give, and the parse functions that validate what the operator reads),
 * the CRDs generated from those schemas, status conditions, the Job a run
 * becomes, and the exact strings of the API (reasons, labels, annotations).
 *
 * Pure: no I/O, no clock (times are arguments, in microseconds since the
 * epoch), no @kubernetes/client-node. The engine, the CEL key code and the
 * operator all import it.
 */
export { boundedName, fnv1a32, maxLabelValueLength } from './bounded-name.ts';
export {
  conditionSchema,
  conditionStatuses,
  findStatusCondition,
  isStatusConditionFalse,
  isStatusConditionTrue,
  removeStatusCondition,
  sameConditions,
  setStatusCondition,
  type Condition,
  type ConditionStatus,
  type ConditionUpdate,
} from './conditions.ts';
export { crdSchemaOf, customResourceDefinitions, structuralSchema, workflowCrd, workflowRunCrd, type JsonSchema } from './crds.ts';
export { durationPattern, parseDuration, parseDurationNanos } from './duration.ts';
export {
  jobForRun,
  jobNameForRun,
  type Container,
  type EnvVar,
  type Job,
  type JobCondition,
  type PodSpec,
  type PodTemplateSpec,
} from './job-for-run.ts';
export { objectMetaSchema, ownerReferenceSchema, type ObjectMeta, type OwnerReference } from './object-meta.ts';
export { describeIssues, fieldPath, parseWith, type ParseResult } from './parse.ts';
export { formatMicroTime, parseMicroTime } from './time.ts';
export {
  annotations,
  apiVersion,
  conditionTypes,
  constantExpression,
  defaultLimitStrategy,
  group,
  isTerminalPhase,
  jobEnv,
  kinds,
  labels,
  limitStrategies,
  plurals,
  runPhases,
  runReasons,
  version,
  workflowReasons,
  type LimitStrategy,
  type RunPhase,
  type RunReason,
  type WorkflowReason,
} from './vocabulary.ts';
export {
  concurrencyEntrySchema,
  constantConcurrency,
  maxConcurrencyEntries,
  maxExpressionLength,
  parseWorkflow,
  preserveUnknownFields,
  runCountsSchema,
  workflowSchema,
  workflowSpecSchema,
  workflowStatusSchema,
  type ConcurrencyEntry,
  type RunCounts,
  type Workflow,
  type WorkflowSpec,
  type WorkflowStatus,
} from './workflow.ts';
export {
  concurrencyKeySchema,
  inputSizeError,
  maxInputBytes,
  maxKeyLength,
  parseWorkflowRun,
  serializedSize,
  workflowRunSchema,
  workflowRunSpecSchema,
  workflowRunStatusSchema,
  type ConcurrencyKey,
  type RunKey,
  type WorkflowRun,
  type WorkflowRunSpec,
  type WorkflowRunStatus,
} from './workflow-run.ts';
