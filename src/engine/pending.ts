// Pending work: the queued runs, seen from the groups that will admit them.
//
// - Each group keeps a ready queue; the groups that could admit now (room, and a
//   ready run) wait for their turn in round-robin order (`turns`).
// - A queued run that a full group blocks is parked on that group (§3.5: it must
//   not stand in front of the runs behind it in its other groups). It leaves
//   every ready queue but the blocker's own, and waits in the blocker's parked
//   heap under a lower bound of its other groups' turn keys.
// - When the blocker has room again its parked runs come back lazily: one at a
//   time, and only while one of a parked run's other groups may have waited
//   longer than the group whose turn is next. A slot freed in a tier that 10,000
//   runs wait on costs a few unparkings, not 10,000. The bound stays a bound
//   because turn keys only grow; the rare change that lowers one (an older run
//   joining a group that never admitted, a clock going backwards) makes every
//   parked run come back once.
// - Queued runs with a schedule timeout wait in deadline order.
import type { Group } from './group.ts';
import { KeyedHeap, NO_SLOT } from './heap.ts';
import { byGroupName, byId } from './ordering.ts';
import type { Membership, RunRecord } from './run-record.ts';

const byRunId = (a: RunRecord, b: RunRecord) => byId(a.id, b.id);

/** Whether turn key (t1, s1) comes strictly before (t2, s2). */
function precedes(t1: number, s1: number, t2: number, s2: number): boolean {
  return t1 < t2 || (t1 === t2 && s1 < s2);
}

/** The oldest turn key among the run's groups other than its blocker: no turn of theirs can come before it. */
function boundOf(run: RunRecord, blocker: Group): [number, number] {
  let time = Infinity;
  let seq = Infinity;
  for (let m = run.memberships; m; m = m.next) {
    const group = m.group;
    if (group !== blocker && precedes(group.turnTime, group.turnSeq, time, seq)) {
      time = group.turnTime;
      seq = group.turnSeq;
    }
  }
  return [time, seq];
}

export class PendingWork {
  /** Groups with room and a ready run, by turn time, then sequence number, then name. */
  private readonly turns = new KeyedHeap<Group>(byGroupName);
  /** Groups with room again that still hold parked runs, by the least bound among them. */
  private readonly reopened = new KeyedHeap<Group>(byGroupName);
  /** Every group holding parked runs. */
  private readonly blockers = new Set<Group>();
  private parkedRuns = 0;
  /** A turn key went down: the parked runs' bounds may be too high. */
  private boundsStale = false;
  /** By deadline, then id. */
  private readonly deadlines = new KeyedHeap<RunRecord>(byRunId);
  /**
   * The greatest queuedAt ever enqueued: a run newer than it goes after every
   * run of its priority in its groups' ready queues, known without reading them.
   * Runs coming back to a ready queue (parked, regrouped) are never newer.
   */
  private newestQueuedAt = -Infinity;

  /** A queued run joins the ready queue of each of its groups, and times out at `deadline` (Infinity: never). */
  enqueue(run: RunRecord, deadline: number): void {
    const newest = run.queuedAt > this.newestQueuedAt;
    if (newest) this.newestQueuedAt = run.queuedAt;
    for (let m = run.memberships; m; m = m.next) {
      const group = m.group;
      group.addReady(m, newest);
      const before = group.noteQueued(run.queuedAt);
      if (before !== undefined) {
        // From Infinity it is the group's first queued run: no parked run is in it yet.
        if (before !== Infinity && this.parkedRuns > 0) this.boundsStale = true;
        if (group.turnSlot !== NO_SLOT) this.turns.update(group.turnSlot, group.turnTime, group.turnSeq);
      }
      this.refresh(group);
    }
    if (deadline !== Infinity) run.deadlineSlot = this.deadlines.push(run, deadline, 0);
  }

  /** A queued run leaves: admitted, cancelled, timed out or removed. */
  dequeue(run: RunRecord): void {
    for (let m = run.memberships; m; m = m.next) this.leaveReadyQueue(m);
    if (run.parkedOn) this.unpark(run);
    if (run.deadlineSlot !== NO_SLOT) this.deadlines.remove(run.deadlineSlot);
    run.deadlineSlot = NO_SLOT;
  }

  /** The run cannot go while `blocker` is full: it stops standing in front of the runs behind it in its other groups. */
  park(run: RunRecord, blocker: Group): void {
    if (run.parkedOn) this.unpark(run);
    for (let m = run.memberships; m; m = m.next) {
      if (m.group !== blocker) this.leaveReadyQueue(m);
      else if (m.readySlot === NO_SLOT) blocker.addReady(m, false);
    }
    if (!blocker.parked) {
      // Among equal bounds any order will do: all of them come back before a turn they could precede.
      blocker.parked = new KeyedHeap<RunRecord>(() => 0);
      this.blockers.add(blocker);
    }
    const [time, seq] = boundOf(run, blocker);
    run.parkedSlot = blocker.parked.push(run, time, seq);
    run.parkedOn = blocker;
    this.parkedRuns += 1;
    this.refresh(blocker);
  }

  /**
   * The group whose last admission is oldest, among those that could admit.
   * First, parked runs on groups with room again come back while one of their
   * groups may have waited longer than that group.
   */
  nextTurn(): Group | undefined {
    if (this.boundsStale) this.unparkAll();
    for (;;) {
      const turn = this.turns.peek();
      const blocker = this.reopened.peek();
      if (!blocker) return turn;
      const parked = blocker.parked as KeyedHeap<RunRecord>;
      if (turn && precedes(turn.turnTime, turn.turnSeq, parked.firstPrimary, parked.firstSecondary)) return turn;
      const run = parked.peek() as RunRecord;
      // The bound may be stale (one of the run's groups admitted since): raise it to the truth before deciding.
      const [time, seq] = boundOf(run, blocker);
      if (precedes(parked.firstPrimary, parked.firstSecondary, time, seq)) {
        parked.update(run.parkedSlot, time, seq);
        this.refresh(blocker);
      } else {
        this.comeBack(run);
      }
    }
  }

  /** The group admitted a run: it goes to the back of the round robin, or out of it if now full. */
  tookTurn(group: Group, now: number, seq: number): void {
    // Parked runs first: the group's turn time is a number object of its own, rarely in cache (group.ts).
    if (this.parkedRuns > 0 && now < group.turnTime) this.boundsStale = true;
    group.tookTurn(now, seq);
    this.refresh(group);
    if (group.turnSlot !== NO_SLOT) this.turns.update(group.turnSlot, now, seq);
  }

  /** Keeps the group among the turns while it has room and a ready run, and among the reopened while it has room and parked runs. */
  refresh(group: Group): void {
    const hasRoom = group.running < group.maxRuns;
    const due = hasRoom && group.hasReady;
    if (due !== (group.turnSlot !== NO_SLOT)) {
      if (due) group.turnSlot = this.turns.push(group, group.turnTime, group.turnSeq);
      else {
        this.turns.remove(group.turnSlot);
        group.turnSlot = NO_SLOT;
      }
    }
    const parked = group.parked;
    if (hasRoom && parked) {
      if (group.reopenedSlot === NO_SLOT) group.reopenedSlot = this.reopened.push(group, parked.firstPrimary, parked.firstSecondary);
      else this.reopened.update(group.reopenedSlot, parked.firstPrimary, parked.firstSecondary);
    } else if (group.reopenedSlot !== NO_SLOT) {
      this.reopened.remove(group.reopenedSlot);
      group.reopenedSlot = NO_SLOT;
    }
  }

  /** The queued run with the earliest deadline, if that deadline has come. */
  expiredBy(now: number): RunRecord | undefined {
    return this.deadlines.firstPrimary <= now ? this.deadlines.peek() : undefined;
  }

  nextDeadline(): number | undefined {
    return this.deadlines.size > 0 ? this.deadlines.firstPrimary : undefined;
  }

  /** A parked run stands in all its ready queues again. */
  private comeBack(run: RunRecord): void {
    this.unpark(run);
    for (let m = run.memberships; m; m = m.next) {
      if (m.readySlot !== NO_SLOT) continue;
      m.group.addReady(m, false);
      this.refresh(m.group);
    }
  }

  private unparkAll(): void {
    for (const blocker of [...this.blockers]) {
      while (blocker.parked) this.comeBack(blocker.parked.peek() as RunRecord);
    }
    this.boundsStale = false;
  }

  private unpark(run: RunRecord): void {
    const blocker = run.parkedOn as Group;
    const parked = blocker.parked as KeyedHeap<RunRecord>;
    parked.remove(run.parkedSlot);
    run.parkedSlot = NO_SLOT;
    run.parkedOn = undefined;
    this.parkedRuns -= 1;
    if (parked.size === 0) {
      blocker.parked = undefined;
      this.blockers.delete(blocker);
    }
    this.refresh(blocker);
  }

  private leaveReadyQueue(m: Membership): void {
    if (m.readySlot === NO_SLOT) return;
    m.group.removeReady(m);
    this.refresh(m.group);
  }
}
