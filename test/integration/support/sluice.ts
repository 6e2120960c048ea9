// Fluent helpers for sluice's resources in integration tests, and an independent
// watcher of Jobs that checks the invariants from the outside.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { eventually, type Clients } from './cluster.ts';

export const group = 'sluice.dev';
export const version = 'v1alpha1';

export interface ConcurrencyEntry {
  expression?: string;
  maxRuns: number;
  limitStrategy?: string;
}

export interface RunStatus {
  phase?: string;
  reason?: string;
  message?: string;
  jobName?: string;
  queuedAt?: string;
  startTime?: string;
  completionTime?: string;
  concurrencyKeys?: { expression: string; key: string }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

export interface Run {
  metadata: { name: string; namespace: string; uid: string; creationTimestamp: string };
  spec: Record<string, unknown>;
  status?: RunStatus;
}

export interface WorkflowObject {
  metadata: { name: string; namespace: string; generation: number };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    runs?: Record<string, number>;
    activeGroups?: number;
  };
}

/** A pod template whose pod runs `duration` on the fake node, and fails if asked. */
export function jobTemplate(duration: string, options: { fail?: boolean } = {}): Record<string, unknown> {
  return {
    spec: {
      backoffLimit: 0,
      template: {
        metadata: {
          annotations: { 'sluice.dev/fake-duration': duration, ...(options.fail ? { 'sluice.dev/fake-fail': 'true' } : {}) },
        },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1'] }] },
      },
    },
  };
}

export class Sluice {
  readonly c: Clients;
  readonly namespace: string;

  constructor(c: Clients, namespace: string) {
    this.c = c;
    this.namespace = namespace;
  }

  async createWorkflow(name: string, spec: Record<string, unknown>): Promise<WorkflowObject> {
    return (await this.c.custom.createNamespacedCustomObject({
      group, version, namespace: this.namespace, plural: 'workflows',
      body: { apiVersion: `${group}/${version}`, kind: 'Workflow', metadata: { name }, spec },
    })) as WorkflowObject;
  }

  async updateWorkflowSpec(name: string, spec: Record<string, unknown>): Promise<void> {
    const current = await this.workflow(name);
    await this.c.custom.replaceNamespacedCustomObject({
      group, version, namespace: this.namespace, plural: 'workflows', name,
      body: { ...current, spec },
    });
  }

  async deleteWorkflow(name: string): Promise<void> {
    await this.c.custom.deleteNamespacedCustomObject({ group, version, namespace: this.namespace, plural: 'workflows', name });
  }

  async workflow(name: string): Promise<WorkflowObject> {
    return (await this.c.custom.getNamespacedCustomObject({ group, version, namespace: this.namespace, plural: 'workflows', name })) as WorkflowObject;
  }

  async createRun(workflow: string, input: Record<string, unknown>, extra: { name?: string; priority?: number; additionalMetadata?: Record<string, string> } = {}): Promise<Run> {
    const metadata = extra.name ? { name: extra.name } : { generateName: `${workflow}-` };
    const spec: Record<string, unknown> = { workflowRef: { name: workflow }, input };
    if (extra.priority !== undefined) spec['priority'] = extra.priority;
    if (extra.additionalMetadata) spec['additionalMetadata'] = extra.additionalMetadata;
    return (await this.c.custom.createNamespacedCustomObject({
      group, version, namespace: this.namespace, plural: 'workflowruns',
      body: { apiVersion: `${group}/${version}`, kind: 'WorkflowRun', metadata, spec },
    })) as Run;
  }

  async deleteRun(name: string): Promise<void> {
    await this.c.custom.deleteNamespacedCustomObject({ group, version, namespace: this.namespace, plural: 'workflowruns', name });
  }

  async run(name: string): Promise<Run> {
    return (await this.c.custom.getNamespacedCustomObject({ group, version, namespace: this.namespace, plural: 'workflowruns', name })) as Run;
  }

  async runs(): Promise<Run[]> {
    const list = (await this.c.custom.listNamespacedCustomObject({ group, version, namespace: this.namespace, plural: 'workflowruns' })) as { items: Run[] };
    return list.items;
  }

  /** Waits until the run is in `phase` (and has `reason`, if given); returns it. */
  async waitForRun(name: string, phase: string, reason?: string, timeoutMs = 60_000): Promise<Run> {
    return eventually(`run ${name} to be ${phase}${reason ? `/${reason}` : ''}`, async () => {
      const run = await this.run(name);
      return run.status?.phase === phase && (reason === undefined || run.status.reason === reason) ? run : undefined;
    }, timeoutMs);
  }

  /** Waits until every run is terminal; returns them. */
  async waitForAllTerminal(timeoutMs = 120_000): Promise<Run[]> {
    return eventually('every run to finish', async () => {
      const runs = await this.runs();
      return runs.every((r) => ['Succeeded', 'Failed', 'Cancelled'].includes(r.status?.phase ?? '')) ? runs : undefined;
    }, timeoutMs);
  }

  async jobs(): Promise<k8s.V1Job[]> {
    return (await this.c.batch.listNamespacedJob({ namespace: this.namespace })).items;
  }

  async events(runName: string): Promise<k8s.CoreV1Event[]> {
    const list = await this.c.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: `involvedObject.name=${runName}` });
    return list.items;
  }

  /** Applies a multi-document YAML file from examples/ into this namespace. */
  async applyExample(path: string): Promise<string[]> {
    const names: string[] = [];
    for (const doc of readFileSync(path, 'utf8').split(/^---$/m)) {
      const obj = parse(doc) as { kind?: string; metadata: { name?: string; generateName?: string } } | null;
      if (!obj?.kind) continue;
      const plural = obj.kind === 'Workflow' ? 'workflows' : 'workflowruns';
      const created = (await this.c.custom.createNamespacedCustomObject({
        group, version, namespace: this.namespace, plural, body: { ...obj, metadata: { ...obj.metadata, namespace: this.namespace } },
      })) as { metadata: { name: string } };
      names.push(created.metadata.name);
    }
    return names;
  }
}

interface JobRecord {
  name: string;
  run: string;
  keys: string;
  created: number;
  ended: number | undefined;
}

/**
 * Watches Jobs on its own connection, independent of the operator, and records
 * when each became active and when it stopped counting (finished, being deleted,
 * or gone). From that record it computes the most Jobs of one group that were
 * ever active at once, and whether any run got two Jobs.
 */
export class JobWatcher {
  private readonly records = new Map<string, JobRecord>();
  private abort: AbortController | undefined;
  private readonly kubeconfig: k8s.KubeConfig;
  private readonly namespace: string;

  constructor(kubeconfig: k8s.KubeConfig, namespace: string) {
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
  }

  async start(): Promise<void> {
    const watch = new k8s.Watch(this.kubeconfig);
    this.abort = await watch.watch(`/apis/batch/v1/namespaces/${this.namespace}/jobs`, { resourceVersion: '0' }, (type: string, job: k8s.V1Job & { metadata: { deletionTimestamp?: string } }) => {
      const name = job.metadata?.name ?? '';
      const now = performance.now();
      let record = this.records.get(name);
      if (!record) {
        record = {
          name,
          run: job.metadata?.labels?.['sluice.dev/workflow-run'] ?? '',
          keys: job.metadata?.annotations?.['sluice.dev/concurrency-keys'] ?? '',
          created: now,
          ended: undefined,
        };
        this.records.set(name, record);
      }
      const finished = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (record.ended === undefined && (type === 'DELETED' || finished || job.metadata?.deletionTimestamp)) record.ended = now;
    }, () => undefined);
  }

  stop(): void {
    this.abort?.abort();
  }

  get jobCount(): number {
    return this.records.size;
  }

  /** Jobs that stopped counting: finished, being deleted, or gone. */
  get endedCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.ended !== undefined) n += 1;
    return n;
  }

  /** Runs that got more than one Job. */
  runsWithSeveralJobs(): string[] {
    const perRun = new Map<string, number>();
    for (const r of this.records.values()) perRun.set(r.run, (perRun.get(r.run) ?? 0) + 1);
    return [...perRun].filter(([, n]) => n > 1).map(([run]) => run);
  }

  /** The most Jobs ever active at once, per group as `groupOf` names it (one run can be in several groups). */
  maxActive(groupsOf: (record: { run: string; keys: string }) => string[]): Map<string, number> {
    const points: { at: number; delta: number; groups: string[] }[] = [];
    for (const r of this.records.values()) {
      const groups = groupsOf(r);
      points.push({ at: r.created, delta: 1, groups });
      if (r.ended !== undefined) points.push({ at: r.ended, delta: -1, groups });
    }
    points.sort((a, b) => a.at - b.at || a.delta - b.delta);
    const active = new Map<string, number>();
    const max = new Map<string, number>();
    for (const p of points) {
      for (const g of p.groups) {
        const n = (active.get(g) ?? 0) + p.delta;
        active.set(g, n);
        max.set(g, Math.max(max.get(g) ?? 0, n));
      }
    }
    return max;
  }
}

/** The groups of a Job, from its concurrency-keys annotation: `expression=key` strings. */
export function groupsFromAnnotation(record: { keys: string }): string[] {
  if (!record.keys) return ['(none)'];
  const keys = JSON.parse(record.keys) as { expression: string; key: string }[];
  return keys.map((k) => `${k.expression}=${k.key}`);
}
