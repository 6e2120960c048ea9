// A queue of runs in one of the orders of ordering.ts.
import { KeyedHeap } from './heap.ts';
import { byId, type Ranked, type RunOrder } from './ordering.ts';

export class RunQueue<T extends Ranked> extends KeyedHeap<T> {
  private readonly order: RunOrder;

  constructor(order: RunOrder) {
    super((a, b) => order.id * byId(a.id, b.id));
    this.order = order;
  }

  /** Queues the run in this queue's order; returns the slot to remove it with. */
  add(run: T): number {
    return this.push(run, this.order.priority * run.priority, this.order.queuedAt * run.queuedAt);
  }
}
