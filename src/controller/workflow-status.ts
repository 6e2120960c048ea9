// Workflow status (run counts by phase, active groups, Ready) and the per-Workflow
// gauges. A busy Workflow changes with every run, so this is throttled: changed
// Workflows are collected and written at most once per interval each.
import { conditionTypes, formatMicroTime, setStatusCondition, type Workflow, type WorkflowRun } from '../api/index.ts';
import { errorMessage, isNotFound, resources, type ClusterApi } from '../kubernetes/cluster-api.ts';
import { objectKey } from '../kubernetes/informer.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { nowMicros } from './clock.ts';
import type { WorkflowRegistry } from './workflow-registry.ts';

const phases = ['Pending', 'Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled'] as const;

export interface WorkflowStatusOptions {
  api: ClusterApi;
  logger: Logger;
  metrics: Metrics;
  intervalMs: number;
  workflows: { get(key: string): Workflow | undefined };
  runs: { get(key: string): WorkflowRun | undefined };
  runsOf: (workflowKey: string) => ReadonlySet<string>;
  registry: WorkflowRegistry;
  engineStats: () => { perWorkflow: Map<string, { queued: number; running: number; groups: number }> };
  isLeader: () => boolean;
}

export class WorkflowStatusReporter {
  private readonly o: WorkflowStatusOptions;
  private readonly dirty = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(options: WorkflowStatusOptions) {
    this.o = options;
    this.timer = setInterval(() => this.flush(), options.intervalMs);
    this.timer.unref();
  }

  touch(workflowKey: string): void {
    this.dirty.add(workflowKey);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private flush(): void {
    if (!this.o.isLeader()) return;
    const stats = this.o.engineStats().perWorkflow;
    for (const key of this.dirty) {
      const [namespace = '', name = ''] = key.split('/');
      const labels = { namespace, workflow: name };
      const counts = Object.fromEntries(phases.map((p) => [p, 0])) as Record<(typeof phases)[number], number>;
      for (const runKey of this.o.runsOf(key)) {
        const phase = (this.o.runs.get(runKey)?.status?.phase ?? 'Pending') as (typeof phases)[number];
        if (phase in counts) counts[phase] += 1;
      }
      const engine = stats.get(key);
      for (const phase of phases) this.o.metrics.runs.set({ ...labels, phase }, counts[phase]);
      this.o.metrics.queueDepth.set(labels, engine?.queued ?? 0);
      this.o.metrics.activeGroups.set(labels, engine?.groups ?? 0);
      const workflow = this.o.workflows.get(key);
      if (workflow) void this.write(workflow, counts, engine?.groups ?? 0);
      else for (const phase of phases) this.o.metrics.runs.remove({ ...labels, phase });
    }
    this.dirty.clear();
  }

  private async write(workflow: Workflow, counts: Record<string, number>, activeGroups: number): Promise<void> {
    const key = objectKey(workflow.metadata);
    const state = this.o.registry.get(key);
    if (!state) return;
    const ready =
      state.kind === 'ready'
        ? { type: conditionTypes.ready, status: 'True' as const, reason: 'Valid', message: `${state.limits.entries.length} concurrency ${state.limits.entries.length === 1 ? 'entry' : 'entries'} compiled` }
        : { type: conditionTypes.ready, status: 'False' as const, reason: state.reason, message: state.message };
    const conditions = setStatusCondition(workflow.status?.conditions ?? [], { ...ready, observedGeneration: state.generation }, formatMicroTime(nowMicros()));
    const status = {
      observedGeneration: state.generation,
      conditions,
      runs: Object.fromEntries(Object.entries(counts).map(([phase, n]) => [phase.toLowerCase(), n])),
      activeGroups,
    };
    const current = workflow.status ?? {};
    if (JSON.stringify({ ...current, conditions: undefined }) === JSON.stringify({ ...status, conditions: undefined }) && JSON.stringify(current.conditions) === JSON.stringify(conditions)) return;
    try {
      await this.o.api.patchStatus(resources.workflows, workflow.metadata.namespace ?? '', workflow.metadata.name, { status }, 'background');
    } catch (err) {
      if (isNotFound(err)) return;
      this.dirty.add(key);
      this.o.logger.warn({ namespace: workflow.metadata.namespace, workflow: workflow.metadata.name, err: errorMessage(err) }, 'workflow status write failed');
    }
  }
}
