// Writes run status through the status subresource, one write at a time per run.
// A change not yet written is remembered, so a decision (a cancellation, say) is
// never lost to a failed write: the run is retried with backoff until it lands.
import type { WorkflowRun } from '../api/index.ts';
import { errorMessage, isNotFound, resources, type ClusterApi } from '../kubernetes/cluster-api.ts';
import type { Logger } from '../telemetry/logger.ts';
import { nowMicros } from './clock.ts';
import { terminalPhases } from './run-plan.ts';
import { statusPatch, type StatusChange } from './run-status.ts';
import type { WorkQueue } from './work-queue.ts';

export type WriteResult = 'written' | 'unchanged' | 'failed';

export class RunStatusWriter {
  private readonly unwritten = new Map<string, StatusChange>();
  /** The last change written per run: the cache can lag behind it, and a repeat is a wasted write. */
  private readonly written = new Map<string, StatusChange>();
  private readonly inFlight = new Map<string, Promise<WriteResult>>();
  private readonly api: ClusterApi;
  private readonly queue: WorkQueue;
  private readonly logger: Logger;

  constructor(api: ClusterApi, queue: WorkQueue, logger: Logger) {
    this.api = api;
    this.queue = queue;
    this.logger = logger;
  }

  /** A change decided for this run but not yet written (a retry must write it, not re-decide). */
  unwrittenChange(runKey: string): StatusChange | undefined {
    return this.unwritten.get(runKey);
  }

  /** The last change this process wrote for the run; the cache may not show it yet. */
  writtenChange(runKey: string): StatusChange | undefined {
    return this.written.get(runKey);
  }

  forget(runKey: string): void {
    this.unwritten.delete(runKey);
    this.written.delete(runKey);
  }

  /**
   * Writes the change unless the run already shows it. `key` is the run's
   * "namespace/name" as the controller holds it (one copy per run). Resolves 'written' once
   * written, 'unchanged' if it was there already, 'failed' if the write failed
   * (it will be retried).
   */
  write(key: string, run: WorkflowRun, change: StatusChange): Promise<WriteResult> {
    const last = this.written.get(key);
    if (last && sameChange(last, change)) return Promise.resolve('unchanged');
    // A terminal phase is final: once this process decided one, nothing replaces it
    // (a retry of that same change is still written).
    const decided = this.unwritten.get(key) ?? last;
    if (decided && terminalPhases.has(decided.phase) && decided !== change) return Promise.resolve('unchanged');
    this.unwritten.set(key, change);
    const previous = this.inFlight.get(key) ?? Promise.resolve<WriteResult>('unchanged');
    const next = previous.then(() => this.patch(key, run, change));
    this.inFlight.set(key, next);
    void next.finally(() => {
      if (this.inFlight.get(key) === next) this.inFlight.delete(key);
    });
    return next;
  }

  private async patch(key: string, run: WorkflowRun, change: StatusChange): Promise<WriteResult> {
    const patch = statusPatch(run, change, nowMicros());
    // A newer change for this run was decided while this one waited: it wins.
    if (this.unwritten.get(key) !== change) return 'unchanged';
    if (!patch) {
      this.unwritten.delete(key);
      return 'unchanged';
    }
    try {
      await this.api.patchStatus(resources.workflowRuns, run.metadata.namespace ?? '', run.metadata.name, patch);
      if (this.unwritten.get(key) === change) this.unwritten.delete(key);
      this.written.set(key, change);
      this.queue.forget(key);
      return 'written';
    } catch (err) {
      if (isNotFound(err)) {
        this.unwritten.delete(key);
        return 'failed';
      }
      const retryInMs = this.queue.retry(key);
      this.logger.warn({ namespace: run.metadata.namespace, run: run.metadata.name, phase: change.phase, err: errorMessage(err), retryInMs }, 'status write failed');
      return 'failed';
    }
  }
}

function sameChange(a: StatusChange, b: StatusChange): boolean {
  return a.phase === b.phase && a.reason === b.reason && a.message === b.message && JSON.stringify(a.concurrencyKeys) === JSON.stringify(b.concurrencyKeys);
}
