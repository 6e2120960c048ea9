// Kubernetes Events on WorkflowRuns (`kubectl describe swfr` shows them). Writing
// an Event is best effort, as with client-go's recorder: a failure is logged,
// never retried, and never holds up a decision. Events wait until no other
// request does (request-queue.ts), so during a burst of admissions they are
// written after it, not in its way. At most `maxPending` wait (a few hundred bytes each);
// beyond that new ones are dropped and counted, as client-go drops beyond its
// queue of 1,000, so a backlog of Events can never grow without bound.
import type { Logger } from 'pino';
import type { CoreV1Event } from '@kubernetes/client-node';
import { errorMessage, type ClusterApi } from './cluster-api.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export type EventType = 'Normal' | 'Warning';

const maxPending = 10_000;

export class EventRecorder {
  private readonly api: ClusterApi;
  private readonly logger: Logger;
  private readonly component: string;
  private readonly instance: string;
  private readonly dropped: () => void;
  private sequence = 0;
  private failures = 0;
  private pending = 0;
  private drops = 0;

  constructor(api: ClusterApi, logger: Logger, instance: string, dropped: () => void) {
    this.api = api;
    this.logger = logger;
    this.dropped = dropped;
    this.component = 'sluice';
    this.instance = instance;
  }

  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    if (this.pending >= maxPending) {
      this.dropped();
      if (this.drops++ === 0) this.logger.warn({ pending: this.pending }, 'events dropped: too many waiting to be written (counted in sluice_events_dropped_total)');
      return;
    }
    const now = new Date();
    this.sequence += 1;
    const sequence = this.sequence;
    // Built when its turn comes: a waiting Event holds its few strings, not the whole object.
    const event = (): CoreV1Event => ({
      metadata: { name: `${target.name}.${now.getTime().toString(16)}${sequence.toString(16)}`, namespace: target.namespace },
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
    });
    this.pending += 1;
    this.api
      .createEvent(target.namespace, event)
      .catch((err: unknown) => {
        // Events are best effort, but a missing permission must not go unnoticed.
        const level = this.failures++ === 0 ? 'warn' : 'debug';
        this.logger[level]({ namespace: target.namespace, run: target.name, reason, err: errorMessage(err) }, 'could not record an event');
      })
      .finally(() => (this.pending -= 1));
  }
}
