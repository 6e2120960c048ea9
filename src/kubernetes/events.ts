// Kubernetes Events on WorkflowRuns (`kubectl describe swfr` shows them). Writing
// an Event is best effort: a failure is logged, never retried, and never holds
// up a decision.
import type { Logger } from 'pino';
import { errorMessage, type ClusterApi } from './cluster-api.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly api: ClusterApi;
  private readonly logger: Logger;
  private readonly component: string;
  private readonly instance: string;
  private sequence = 0;
  private failures = 0;

  constructor(api: ClusterApi, logger: Logger, instance: string) {
    this.api = api;
    this.logger = logger;
    this.component = 'sluice';
    this.instance = instance;
  }

  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    const now = new Date();
    this.sequence += 1;
    const event = {
      metadata: { name: `${target.name}.${now.getTime().toString(16)}${this.sequence.toString(16)}`, namespace: target.namespace },
      involvedObject: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid },
      type,
      reason,
      message,
      source: { component: this.component },
      reportingComponent: `sluice.dev/${this.component}`,
      reportingInstance: this.instance,
      action: reason,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.api.createEvent(target.namespace, event).catch((err: unknown) => {
      // Events are best effort, but a missing permission must not go unnoticed.
      const level = this.failures++ === 0 ? 'warn' : 'debug';
      this.logger[level]({ namespace: target.namespace, run: target.name, reason, err: errorMessage(err) }, 'could not record an event');
    });
  }
}
