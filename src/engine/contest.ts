// The CANCEL_* strategies (§3.2, §3.3, §3.3a) as one rule with four settings:
// which runs contend for the group's places, in what order the best are kept,
// how many places there are, and what a run that loses is told.
import { NO_SLOT } from './heap.ts';
import { newestFirst, oldestFirst, reversed, type RunOrder } from './ordering.ts';
import { RunQueue } from './run-queue.ts';
import { membershipIn, type Membership, type RunRecord } from './run-record.ts';
import type { Decision, Strategy } from './types.ts';
import type { Group } from './group.ts';

export interface Contest {
  /** CANCEL_IN_PROGRESS weighs running runs against queued ones; the others weigh queued runs only. */
  readonly includesRunning: boolean;
  /** Best first: the runs kept are the first `places` in this order. */
  readonly keepOrder: RunOrder;
  /** Whether a cancelled run is told which run replaced it (the best one kept). */
  readonly namesReplacement: boolean;
  places(maxRuns: number, running: number): number;
  verdict(run: string, running: boolean, replacedBy: string): Decision;
}

const contests: Record<Exclude<Strategy, 'GROUP_ROUND_ROBIN'>, Contest> = {
  CANCEL_IN_PROGRESS: {
    includesRunning: true,
    keepOrder: newestFirst,
    namesReplacement: true,
    places: (maxRuns) => maxRuns,
    verdict: (run, running, replacedBy) => ({ type: 'cancel', run, reason: 'CancelledInProgress', replacedBy, running }),
  },
  CANCEL_NEWEST: {
    includesRunning: false,
    keepOrder: oldestFirst,
    namesReplacement: false,
    // Running runs are never touched: the queued fill what they leave free.
    places: (maxRuns, running) => Math.max(0, maxRuns - running),
    verdict: (run) => ({ type: 'reject', run, reason: 'CancelledNewest' }),
  },
  CANCEL_QUEUED_EXCEPT_NEWEST: {
    includesRunning: false,
    keepOrder: newestFirst,
    namesReplacement: true,
    places: (maxRuns) => maxRuns,
    verdict: (run, _running, replacedBy) => ({ type: 'cancel', run, reason: 'CancelledQueuedExceptNewest', replacedBy, running: false }),
  },
  CANCEL_QUEUED_EXCEPT_OLDEST: {
    includesRunning: false,
    keepOrder: oldestFirst,
    namesReplacement: false,
    places: (maxRuns) => maxRuns,
    verdict: (run) => ({ type: 'cancel', run, reason: 'CancelledQueuedExceptOldest', running: false }),
  },
};

export function contestOf(strategy: Strategy): Contest | undefined {
  return strategy === 'GROUP_ROUND_ROBIN' ? undefined : contests[strategy];
}

/** A run a group's rule cancels, and the entry whose rule it is. */
export interface Verdict {
  readonly run: RunRecord;
  readonly entry: number;
  readonly decision: Decision;
}

/** The runs contending for one group's places, reachable from both ends. */
export class Contenders {
  private readonly contest: Contest;
  private readonly worstFirst: RunQueue<RunRecord>;
  private readonly bestFirst: RunQueue<RunRecord> | undefined;

  constructor(contest: Contest) {
    this.contest = contest;
    this.worstFirst = new RunQueue(reversed(contest.keepOrder));
    this.bestFirst = contest.namesReplacement ? new RunQueue(contest.keepOrder) : undefined;
  }

  /** A cancelled running run waits for its Job to go, and no longer contends. */
  admits(run: RunRecord): boolean {
    return run.state === 'queued' || (run.state === 'running' && this.contest.includesRunning);
  }

  enter(run: RunRecord, m: Membership): void {
    m.worstSlot = this.worstFirst.add(run);
    if (this.bestFirst) m.bestSlot = this.bestFirst.add(run);
  }

  leave(m: Membership): void {
    if (m.worstSlot !== NO_SLOT) this.worstFirst.remove(m.worstSlot);
    if (m.bestSlot !== NO_SLOT) this.bestFirst?.remove(m.bestSlot);
    m.worstSlot = NO_SLOT;
    m.bestSlot = NO_SLOT;
  }

  /**
   * Takes out of the contest every run beyond the places the group keeps, worst
   * first, and says why each goes. Other groups are not touched: every group is
   * judged on the same state (§3.5), and the caller applies the verdicts.
   */
  settle(group: Group): Verdict[] {
    let excess = this.worstFirst.size - this.contest.places(group.maxRuns, group.running);
    if (excess <= 0) return [];
    const replacedBy = this.bestFirst?.peek()?.id ?? '';
    const verdicts: Verdict[] = [];
    for (; excess > 0; excess--) {
      const run = this.worstFirst.peek() as RunRecord;
      const m = membershipIn(run, group);
      this.leave(m);
      verdicts.push({ run, entry: group.entry, decision: this.contest.verdict(run.id, run.state !== 'queued', replacedBy) });
    }
    return verdicts;
  }
}
