// A token bucket like client-go's: `qps` tokens a second, at most `burst` saved.
// Every request the operator makes waits for a token, so a busy operator cannot
// flood the API server.
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  private readonly qps: number;
  private readonly burst: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(qps: number, burst: number) {
    this.qps = qps;
    this.burst = burst;
    this.tokens = burst;
  }

  /** Resolves when a token is taken; callers are served in arrival order. */
  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.take());
    this.tail = turn;
    return turn;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, ((1 - this.tokens) / this.qps) * 1000));
    }
  }
}
