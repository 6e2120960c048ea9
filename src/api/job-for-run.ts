// Where a Job is built: the batch/v1 Job an admitted WorkflowRun becomes
// (SPEC §1 "The Job"). Pure — the same run and Workflow always give the same
// Job — and free of @kubernetes/client-node, so the types below are the few
// fields sluice reads or writes, with everything else passed through.
import { boundedName } from './bounded-name.ts';
import type { ObjectMeta } from './object-meta.ts';
import { annotations, apiVersion, jobEnv, kinds, labels } from './vocabulary.ts';
import type { Workflow } from './workflow.ts';
import type { ConcurrencyKey, WorkflowRun } from './workflow-run.ts';

export interface EnvVar {
  name: string;
  value?: string;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  env?: EnvVar[];
  [field: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  restartPolicy?: string;
  [field: string]: unknown;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: PodSpec;
}

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  [field: string]: unknown;
}

export interface Job {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { template?: PodTemplateSpec; [field: string]: unknown };
  status?: {
    conditions?: JobCondition[];
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    [field: string]: unknown;
  };
}

/**
 * The Job's name: the run's name, which is unique in the namespace, so a run
 * can never get two Jobs (a second create is refused as AlreadyExists). A name
 * over 63 characters — the Job controller copies it into a pod label — is
 * shortened with a hash suffix (boundedName).
 */
export function jobNameForRun(runName: string): string {
  return boundedName(runName);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** sluice's variables first, so that the template's own env can refer to them as $(SLUICE_INPUT); a same-named template variable is replaced. */
function withSluiceEnv(container: unknown, sluiceEnv: readonly EnvVar[]): unknown {
  const c = record(container);
  if (Object.keys(c).length === 0) return container;
  const ours = new Set(sluiceEnv.map((e) => e.name));
  const theirs = Array.isArray(c['env']) ? (c['env'] as unknown[]).filter((e) => !ours.has(String(record(e)['name']))) : [];
  return { ...c, env: [...sluiceEnv, ...theirs] };
}

/**
 * The Job for an admitted run, from its Workflow's template (a JobTemplateSpec):
 * - in the run's namespace, named jobNameForRun(run), controlled by the run
 *   (ownerReference with controller and blockOwnerDeletion), so deleting the
 *   run deletes the Job;
 * - labelled sluice.dev/workflow and sluice.dev/workflow-run, on the Job and
 *   on its pod template, besides the template's own labels; annotated with the
 *   run's concurrency keys as JSON;
 * - every container and init container gets SLUICE_INPUT, SLUICE_WORKFLOW,
 *   SLUICE_WORKFLOW_RUN and SLUICE_ADDITIONAL_METADATA;
 * - restartPolicy defaults to Never.
 * The template is copied, never changed. What the template gets wrong (no
 * containers, say) is left for the API server to refuse.
 */
export function jobForRun(workflow: Workflow, run: WorkflowRun, keys: readonly ConcurrencyKey[]): Job {
  const template = structuredClone(workflow.spec.template);
  const templateMeta = record(template['metadata']);
  const jobSpec = record(template['spec']);
  const podTemplate = record(jobSpec['template']);
  const podMeta = record(podTemplate['metadata']);
  const podSpec = record(podTemplate['spec']);

  const ourLabels = {
    [labels.workflow]: boundedName(workflow.metadata.name),
    [labels.workflowRun]: boundedName(run.metadata.name),
  };
  const sluiceEnv: EnvVar[] = [
    { name: jobEnv.input, value: JSON.stringify(run.spec.input ?? {}) },
    { name: jobEnv.workflow, value: workflow.metadata.name },
    { name: jobEnv.workflowRun, value: run.metadata.name },
    { name: jobEnv.additionalMetadata, value: JSON.stringify(run.spec.additionalMetadata ?? {}) },
  ];
  const withEnv = (list: unknown) => (Array.isArray(list) ? list.map((c) => withSluiceEnv(c, sluiceEnv)) : list);

  const spec: PodSpec = { ...podSpec, restartPolicy: typeof podSpec['restartPolicy'] === 'string' ? podSpec['restartPolicy'] : 'Never' };
  if (podSpec['containers'] !== undefined) spec.containers = withEnv(podSpec['containers']) as Container[];
  if (podSpec['initContainers'] !== undefined) spec.initContainers = withEnv(podSpec['initContainers']) as Container[];

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameForRun(run.metadata.name),
      namespace: run.metadata.namespace,
      labels: { ...stringMap(templateMeta['labels']), ...ourLabels },
      annotations: {
        ...stringMap(templateMeta['annotations']),
        [annotations.concurrencyKeys]: JSON.stringify(keys.map((k) => ({ expression: k.expression, key: k.key }))),
      },
      ownerReferences: [
        { apiVersion, kind: kinds.workflowRun, name: run.metadata.name, uid: run.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      ...jobSpec,
      template: {
        ...podTemplate,
        metadata: { ...podMeta, labels: { ...stringMap(podMeta['labels']), ...ourLabels } },
        spec,
      },
    },
  };
}

/**
 * The Job name of a run, by the run's name or the run itself. Kept on jobForRun
 * so that "which Job is this run's" and "build this run's Job" read together.
 */
jobForRun.nameFor = (run: string | { metadata: { name: string } }): string => jobNameForRun(typeof run === 'string' ? run : run.metadata.name);
