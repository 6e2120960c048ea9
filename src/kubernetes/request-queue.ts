// Where every request waits for its turn to the API server: a rate-limiter token
// and one of a bounded number of requests in flight, the most urgent first.
//
// A burst of thousands of admissions queues thousands of writes. Served in
// arrival order, a Lease renewal queued behind them would miss its deadline
// (the leader would step down in the middle of the burst), and the Events
// written for runs already admitted would take API server capacity from the
// runs still waiting. So, as the API server's own priority and fairness does
// for its clients, urgent work goes first:
//   lease       leader election (few requests; a late one costs the leadership)
//   admission   everything that admits, cancels, finishes or lists (the default)
//   background  Events and Workflow status: only when no other request waits
// Within a priority, arrival order.
import { Fifo } from './fifo.ts';
import type { RateLimiter } from './rate-limiter.ts';

export type RequestPriority = 'lease' | 'admission' | 'background';

const order: readonly RequestPriority[] = ['lease', 'admission', 'background'];

type Start = () => void;

export class RequestQueue {
  private readonly limiter: RateLimiter;
  private readonly maxInFlight: number;
  private readonly waiting: Record<RequestPriority, Fifo<Start>> = { lease: new Fifo<Start>(), admission: new Fifo<Start>(), background: new Fifo<Start>() };
  private inFlight = 0;
  private pumping = false;

  constructor(limiter: RateLimiter, maxInFlight: number) {
    this.limiter = limiter;
    this.maxInFlight = maxInFlight;
  }

  /** Runs `send` once its turn comes; resolves or rejects as it does. */
  run<T>(priority: RequestPriority, send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting[priority].push(() => {
        Promise.resolve()
          .then(send)
          .then(resolve, reject)
          .finally(() => {
            this.inFlight -= 1;
            void this.pump();
          });
      });
      void this.pump();
    });
  }

  /** Starts requests while there is room in flight; the token is taken before the request is chosen, so a later urgent one can still go first. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waitingCount() > 0 && this.inFlight < this.maxInFlight) {
        await this.limiter.acquire();
        const start = this.takeMostUrgent();
        this.inFlight += 1;
        start();
      }
    } finally {
      this.pumping = false;
    }
  }

  private waitingCount(): number {
    return this.waiting.lease.size + this.waiting.admission.size + this.waiting.background.size;
  }

  private takeMostUrgent(): Start {
    for (const priority of order) {
      const next = this.waiting[priority].shift();
      if (next) return next;
    }
    throw new Error('request queue: nothing waiting');
  }
}
