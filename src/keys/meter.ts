// The size budget of a guarded evaluation (limits.ts, guardedSizeBudget). The
// compiled program calls the meter on every list a macro iterates over and on
// every value `map` collects; the meter adds up their sizes and starves the
// evaluation once the budget is spent. It is module state because CEL
// functions cannot reach the evaluation's context; evaluation is synchronous,
// so one evaluation at a time uses it, and it is reset before each.

/**
 * The logical size of a CEL value in units (limits.ts), or limit + 1 when it
 * is larger. Strings count their length without being read, so a string built
 * by repeated concatenation is measured before anything flattens it.
 * Iterative and stopping early: input may nest deeper than the stack allows,
 * and a list may be far larger than the limit.
 */
export function logicalSize(value: unknown, limit: number): number {
  let total = 0;
  const pending: unknown[] = [value];
  // Every pending value adds at least one unit, so total + pending.length is a lower bound.
  const over = () => total + pending.length > limit;
  while (pending.length > 0) {
    if (over()) return limit + 1;
    const next = pending.pop();
    total += 1;
    if (typeof next === 'string' || next instanceof Uint8Array) {
      total += next.length;
    } else if (Array.isArray(next) || next instanceof Set) {
      for (const element of next) {
        if (over()) return limit + 1;
        pending.push(element);
      }
    } else if (next instanceof Map) {
      for (const [key, element] of next) {
        if (over()) return limit + 1;
        pending.push(key, element);
      }
    } else if (next !== null && typeof next === 'object' && Object.getPrototypeOf(next) === Object.prototype) {
      for (const key in next) {
        if (over()) return limit + 1;
        pending.push(key, (next as Record<string, unknown>)[key]);
      }
    }
  }
  return Math.min(total, limit + 1);
}

/** Thrown when a value `map` collects goes over the budget; one object, since `exists` may go on and trigger it per element. */
const spentError = new Error('size budget spent');

class SizeMeter {
  private remaining = 0;
  /** Whether the budget ran out during the current evaluation: its result, if any, is then discarded. */
  spent = false;

  start(budget: number): void {
    this.remaining = budget;
    this.spent = false;
  }

  private count(value: unknown): boolean {
    if (!this.spent) {
      this.remaining -= logicalSize(value, this.remaining);
      this.spent = this.remaining < 0;
    }
    return !this.spent;
  }

  /**
   * Counts a list a macro is about to iterate over. Once the budget is spent
   * it returns an empty list instead, so every macro still to run has nothing
   * to do and the evaluation ends quickly, with a result the evaluator throws
   * away. (Throwing would not end it: `exists` and `all` go on with the next
   * element after an error.)
   */
  iterated<T>(value: T): T | never[] {
    return this.count(value) ? value : [];
  }

  /** Counts a value `map` collects; once the budget is spent it throws, which ends the `map` at once. */
  collected<T>(value: T): T {
    if (this.count(value)) return value;
    throw spentError;
  }
}

export const sizeMeter = new SizeMeter();
