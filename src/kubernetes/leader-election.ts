// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timings:
// a lease lasts 15 s, the leader renews every 2 s and gives up leadership if it
// cannot renew for 10 s — before any other replica may take over (15 s after the
// last renewal it saw), so two replicas never admit at once. Expiry is judged by
// the local clock from when this replica last saw the record change, as client-go
// does, so clock skew between replicas does not matter.
import type { Logger } from 'pino';
import { errorMessage, isAlreadyExists, isConflict, resources, type ClusterApi } from './cluster-api.ts';

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  api: ClusterApi;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

export class LeaderElector {
  private readonly o: Required<LeaderElectionOptions>;
  private leading = false;
  private stopped = false;
  private observedRecord = '';
  private observedAt = 0;
  private lastRenewal = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LeaderElectionOptions) {
    this.o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
  }

  /** False from the instant the renew deadline passes, not only at the next tick. */
  get isLeader(): boolean {
    return this.leading && !this.stopped && performance.now() - this.lastRenewal <= this.o.renewDeadlineMs;
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning; a leader releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err: unknown) => this.o.logger.warn({ err: errorMessage(err) }, 'could not release the lease'));
    }
  }

  private schedule(): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodMs);
  }

  private async tick(): Promise<void> {
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) this.lastRenewal = performance.now();
      if (acquired && !this.leading && !this.stopped) {
        this.leading = true;
        this.o.logger.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became the leader');
        this.o.onStartedLeading();
      }
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err) }, 'lease request failed');
    }
    if (this.leading && performance.now() - this.lastRenewal > this.o.renewDeadlineMs) {
      this.leading = false;
      this.o.logger.error({ identity: this.o.identity }, 'could not renew the lease within the renew deadline; stepping down');
      this.o.onStoppedLeading();
    }
    this.schedule();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const lease = await this.o.api.get<Lease>(resources.leases, this.o.namespace, this.o.name, 'lease');
    const spec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.round(this.o.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        await this.o.api.create(
          resources.leases,
          this.o.namespace,
          () =>
            ({
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.o.name, namespace: this.o.namespace },
              spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
            }) satisfies Lease,
          'lease',
        );
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    const record = JSON.stringify(lease.spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = performance.now();
    }
    const holder = lease.spec.holderIdentity ?? '';
    const ours = holder === this.o.identity;
    const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
    if (holder !== '' && !ours && performance.now() - this.observedAt < durationMs) return false;
    const updated: Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        acquireTime: ours ? lease.spec.acquireTime : microTime(now),
        leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    // The resourceVersion in the body makes this a compare-and-swap: of two
    // replicas that both saw an expired lease, only one wins.
    let written: Lease;
    try {
      written = await this.o.api.replace<Lease>(resources.leases, this.o.namespace, this.o.name, updated, 'lease');
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    this.observedRecord = JSON.stringify(written.spec);
    this.observedAt = performance.now();
    return true;
  }

  private async release(): Promise<void> {
    const lease = await this.o.api.get<Lease>(resources.leases, this.o.namespace, this.o.name, 'lease');
    if (lease?.spec.holderIdentity !== this.o.identity) return;
    await this.o.api.replace(
      resources.leases,
      this.o.namespace,
      this.o.name,
      { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(Date.now()) } },
      'lease',
    );
  }
}
