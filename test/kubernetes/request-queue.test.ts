import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/kubernetes/rate-limiter.ts';
import { RequestQueue, type RequestPriority } from '../../src/kubernetes/request-queue.ts';

const unlimited = () => new RateLimiter(1e9, 1e9);

/** A request that stays in flight until released. */
function held(): { send: () => Promise<string>; release: () => void; started: () => boolean } {
  let release = () => {};
  let started = false;
  const done = new Promise<string>((resolve) => (release = () => resolve('held')));
  return {
    send: () => {
      started = true;
      return done;
    },
    release: () => release(),
    started: () => started,
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RequestQueue', () => {
  it('starts the most urgent waiting request first: lease, then admission, then background, each in arrival order', async () => {
    const queue = new RequestQueue(unlimited(), 1);
    const first = held();
    const started: string[] = [];
    const all = [queue.run('admission', first.send)];
    await settle();
    expect(first.started()).toBe(true);
    const enqueue = (priority: RequestPriority, name: string) =>
      all.push(
        queue.run(priority, async () => {
          started.push(name);
          return name;
        }),
      );
    enqueue('background', 'event-1');
    enqueue('admission', 'job-1');
    enqueue('background', 'event-2');
    enqueue('admission', 'job-2');
    enqueue('lease', 'renew');
    await settle();
    expect(started).toEqual([]);
    first.release();
    await Promise.all(all);
    expect(started).toEqual(['renew', 'job-1', 'job-2', 'event-1', 'event-2']);
  });

  it('never has more than maxInFlight requests in flight, and starts the next as one ends', async () => {
    const queue = new RequestQueue(unlimited(), 3);
    const requests = Array.from({ length: 7 }, () => held());
    const results = requests.map((r) => queue.run('admission', r.send));
    await settle();
    expect(requests.map((r) => r.started())).toEqual([true, true, true, false, false, false, false]);
    requests[1]?.release();
    await settle();
    expect(requests.filter((r) => r.started())).toHaveLength(4);
    for (const r of requests) r.release();
    expect(await Promise.all(results)).toEqual(Array(7).fill('held'));
  });

  it('passes a failure on, also a synchronous throw, and frees the place', async () => {
    const queue = new RequestQueue(unlimited(), 1);
    await expect(queue.run('admission', () => Promise.reject(new Error('409')))).rejects.toThrow('409');
    await expect(
      queue.run('admission', () => {
        throw new Error('bad request');
      }),
    ).rejects.toThrow('bad request');
    await expect(queue.run('background', async () => 'after')).resolves.toBe('after');
  });

  it('keeps arrival order over thousands of waiting requests', async () => {
    const queue = new RequestQueue(unlimited(), 1);
    const first = held();
    const blocked = queue.run('admission', first.send);
    await settle();
    const order: number[] = [];
    const results = Array.from({ length: 5000 }, (_, i) =>
      queue.run('admission', async () => {
        order.push(i);
      }),
    );
    first.release();
    await Promise.all([blocked, ...results]);
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('takes a rate-limiter token for every request', async () => {
    let tokens = 0;
    const limiter = unlimited();
    const acquire = limiter.acquire.bind(limiter);
    limiter.acquire = () => {
      tokens += 1;
      return acquire();
    };
    const queue = new RequestQueue(limiter, 2);
    await Promise.all(['lease', 'admission', 'background', 'admission'].map((p) => queue.run(p as RequestPriority, async () => p)));
    expect(tokens).toBe(4);
  });
});
