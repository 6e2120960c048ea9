// What the engine holds for one Workflow: its limits, its runs, its groups, and
// the groups each run counts in under the current limits (§3.7).
import { Group } from './group.ts';
import { HashIndex, hashOf } from './hash-index.ts';
import { firstMembership, membership, type Membership, type RunRecord } from './run-record.ts';
import type { ConcurrencyEntry, Tally, WorkflowLimits } from './types.ts';

export class WorkflowBook {
  readonly id: string;
  /** undefined while the Workflow does not exist (or is not Ready). */
  limits: WorkflowLimits | undefined;
  /**
   * Every run the engine holds of the Workflow, in no order; each run knows its
   * index (bookIndex). An array rather than a Set: a run joins and leaves at
   * every event, and a Set of 10,000 runs costs a hash lookup, and a rehash
   * now and then, for what an index does in O(1).
   */
  readonly runs: RunRecord[] = [];
  /** Groups by expression, then key (hash-index.ts: not a Map); the pseudo-group of a Workflow without entries has expression and key ''. */
  private readonly groups = new Map<string, HashIndex<Group>>();
  private groupCount = 0;
  queued = 0;
  running = 0;

  constructor(id: string) {
    this.id = id;
  }

  /** Neither limits nor runs: nothing to remember. */
  get idle(): boolean {
    return this.limits === undefined && this.runs.length === 0;
  }

  hold(run: RunRecord): void {
    run.bookIndex = this.runs.length;
    this.runs.push(run);
  }

  /** The last run takes the place of the one that goes. */
  letGo(run: RunRecord): void {
    const last = this.runs.pop() as RunRecord;
    if (last !== run) {
      this.runs[run.bookIndex] = last;
      last.bookIndex = run.bookIndex;
    }
    run.bookIndex = -1;
  }

  tally(): Tally {
    return { queued: this.queued, running: this.running, groups: this.groupCount };
  }

  /**
   * The run's memberships (run-record.ts): the groups it counts in, one per
   * entry, creating the groups it is the first in. A queued run needs a key for
   * every entry: without one (its keys predate the Workflow's current entries)
   * it is in no group and cannot be admitted until it is enqueued again with new
   * keys. A run holding a slot keeps the keys it was admitted with and counts
   * wherever one still applies. The list is built from the last entry back, so
   * that it ends in entry order with the record itself at its head.
   */
  membershipsOf(run: RunRecord): Membership | undefined {
    const entries = this.limits?.entries;
    if (!entries) return undefined;
    if (entries.length === 0) return firstMembership(run, this.groupFor('', '', -1), undefined);
    if (run.state === 'queued') {
      for (const spec of entries) if (keyFor(run, spec) === undefined) return undefined;
    }
    let first = 0;
    while (first < entries.length && keyFor(run, entries[first] as ConcurrencyEntry) === undefined) first += 1;
    if (first === entries.length) return undefined;
    let rest: Membership | undefined;
    for (let entry = entries.length - 1; entry > first; entry--) {
      const spec = entries[entry] as ConcurrencyEntry;
      const key = keyFor(run, spec);
      if (key !== undefined) rest = membership(run, this.groupFor(spec.expression, key, entry), rest);
    }
    const spec = entries[first] as ConcurrencyEntry;
    return firstMembership(run, this.groupFor(spec.expression, keyFor(run, spec) as string, first), rest);
  }

  deadlineOf(run: RunRecord): number {
    const timeout = this.limits?.scheduleTimeoutMicros;
    return timeout === undefined ? Infinity : run.queuedAt + timeout;
  }

  /** Only while every run of the Workflow is detached, so every group is empty. */
  reconfigure(limits: WorkflowLimits | undefined): void {
    this.limits = limits;
    const entries = limits?.entries ?? [];
    for (let entry = 0; entry < entries.length; entry++) {
      const spec = entries[entry] as ConcurrencyEntry;
      for (const group of this.groups.get(spec.expression)?.values() ?? []) group.configure(entry, spec.maxRuns, spec.strategy);
    }
  }

  forget(group: Group): void {
    const table = this.groups.get(group.expression);
    if (!table?.delete(group)) return;
    this.groupCount -= 1;
    if (table.size === 0) this.groups.delete(group.expression);
  }

  /** The group of the entry at position `entry` (-1: the pseudo-group) with this key. */
  private groupFor(expression: string, key: string, entry: number): Group {
    let table = this.groups.get(expression);
    const hash = hashOf(key);
    const known = table?.get(key, hash);
    if (known) return known;
    const group = new Group(this.id, expression, key, hash);
    const spec = this.limits?.entries[entry];
    if (spec) group.configure(entry, spec.maxRuns, spec.strategy);
    if (!table) {
      table = new HashIndex<Group>(keyOfGroup);
      this.groups.set(expression, table);
    }
    table.add(group);
    this.groupCount += 1;
    return group;
  }
}

const keyOfGroup = (group: Group): string => group.key;

function keyFor(run: RunRecord, spec: ConcurrencyEntry): string | undefined {
  for (const k of run.keys) if (k.expression === spec.expression) return k.key;
  return undefined;
}
