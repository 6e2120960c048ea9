// A keyed, de-duplicating work queue with per-key exponential backoff, after
// client-go's: a key added many times before it is taken is taken once; a key
// whose work failed comes back after 5 ms, 10 ms, ... up to 30 s.
export class WorkQueue {
  private dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private wake: (() => void) | undefined;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: { baseDelayMs?: number; maxDelayMs?: number } = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
  }

  get length(): number {
    return this.dirty.size;
  }

  add(key: string): void {
    this.dirty.add(key);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Adds the key after `ms`, unless it is added sooner. */
  addAfter(key: string, ms: number): void {
    if (this.delayed.has(key)) return;
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, timer);
  }

  /** The key's work failed: retry it with its next backoff delay. */
  retry(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1));
    this.addAfter(key, delay);
    return delay;
  }

  /** The key's work succeeded: its backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Takes every dirty key, in the order they were first added. */
  drain(): string[] {
    const keys = [...this.dirty];
    this.dirty = new Set();
    return keys;
  }

  /** Resolves when there is work (at once if there is some already). */
  whenReady(): Promise<void> {
    if (this.dirty.size > 0) return Promise.resolve();
    return new Promise((resolve) => (this.wake = resolve));
  }

  clear(): void {
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.dirty.clear();
    this.failures.clear();
    this.wake?.();
  }
}
