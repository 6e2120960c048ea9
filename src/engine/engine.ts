// The admission engine: holds what the operator has observed (Workflow limits,
// queued runs, runs holding slots) and decides, one cycle at a time, which runs
// to time out, cancel, reject and admit (SPEC §3). Pure: time is an argument.
import { AdmittedPicture } from './admitted.ts';
import type { Verdict } from './contest.ts';
import type { Group } from './group.ts';
import { arrivalOrder } from './ordering.ts';
import { PendingWork } from './pending.ts';
import { HashIndex, hashOf } from './hash-index.ts';
import { leaveGroups, RunRecords, type RunRecord } from './run-record.ts';
import type { Decision, EngineStats, QueuedRun, RunKey, RunState, Tally, WorkflowLimits } from './types.ts';
import { WorkflowBook } from './workflow-book.ts';

export class AdmissionEngine {
  private readonly runs = new HashIndex<RunRecord>(idOfRun);
  private readonly records = new RunRecords();
  private readonly books = new Map<string, WorkflowBook>();
  private readonly admitted: AdmittedPicture;
  private readonly pending = new PendingWork();
  // Arrays emptied after use, not Sets cleared: a Set cleared moves to a new
  // table and links the old one to it, which the young-generation collector
  // can take for live (hash-index.ts). Repeats are harmless.
  /** Groups whose CANCEL_* rule may no longer hold (Group.unsettled): a contender joined, or the rule changed. */
  private readonly unsettled: Group[] = [];
  /** Groups that lost their last run during this call: forgotten at its end, unless a run came back. */
  private readonly emptied: Group[] = [];
  /** Workflows that lost their last run or their limits during this call: likewise. */
  private readonly emptiedBooks: WorkflowBook[] = [];
  private admissions = 0;

  constructor(options: { maxConcurrentRuns: number }) {
    this.admitted = new AdmittedPicture(checkedGlobalLimit(options.maxConcurrentRuns));
  }

  setMaxConcurrentRuns(n: number): void {
    this.admitted.setLimit(checkedGlobalLimit(n));
  }

  /** A new generation: queued runs are enqueued again by the caller with new keys; running runs keep theirs. */
  upsertWorkflow(workflow: WorkflowLimits): void {
    checkLimits(workflow);
    const book = this.bookOf(workflow.id);
    if (book.limits && sameLimits(book.limits, workflow)) return;
    this.regroup(book, { id: workflow.id, entries: workflow.entries.map((e) => ({ ...e })), scheduleTimeoutMicros: workflow.scheduleTimeoutMicros });
  }

  /** Its queued runs stay queued in no group (the caller removes them); running runs count globally only. */
  removeWorkflow(id: string): void {
    const book = this.books.get(id);
    if (book?.limits) this.regroup(book, undefined);
  }

  /** A new queued run, or one re-evaluated (new keys). A run this engine holds as running is left alone: its view wins over a stale cache. */
  enqueue(run: QueuedRun): void {
    this.replace(run, 'queued');
  }

  /** A run whose Job exists and is not finished. Idempotent. */
  observeRunning(run: QueuedRun): void {
    this.replace(run, 'running');
  }

  /** The run is gone, finished, or its Job is (being) deleted: its slots are free. Unknown ids are ignored. */
  remove(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.detach(run);
    this.records.reuse(run);
    this.sweep();
  }

  /** The Job of an admitted run could not be created: the run queues again, with its original queuedAt. */
  admissionFailed(runId: string): void {
    const run = this.runs.get(runId);
    if (run?.state !== 'running') return;
    const book = run.book as WorkflowBook;
    this.detach(run);
    run.state = 'queued';
    this.attach(run, book);
    this.sweep();
  }

  /**
   * One admission cycle at time `now` (µs). Its decisions are applied at once:
   * admitted runs hold their slots, runs cancelled, rejected or timed out while
   * queued are gone, and a cancelled running run holds its slots until remove().
   */
  decide(now: number): Decision[] {
    const decisions: Decision[] = [];

    // 1. Time out the runs queued longer than their Workflow's scheduleTimeout.
    for (let run = this.pending.expiredBy(now); run; run = this.pending.expiredBy(now)) {
      decisions.push({ type: 'timeout', run: run.id, reason: 'ScheduleTimeout' });
      this.detach(run);
    }

    // 2. Cancel: the rule of every CANCEL_* group that changed, all judged on the
    //    same state; a run that any rule cancels is cancelled (§3.5).
    for (const { run, decision } of this.settleContests()) {
      decisions.push(decision);
      if (run.state === 'queued') this.detach(run);
      else this.markCancelling(run);
    }

    // 3. Admit, one run per turn, while a global slot is free: the turn goes to the
    //    group whose last admission is oldest (§3.1, §3.4), and the group admits
    //    its best run unless another of the run's groups is full. Such a run is
    //    parked on that group, so the runs behind it can go (§3.5).
    while (this.admitted.hasGlobalRoom()) {
      const group = this.pending.nextTurn();
      if (!group) break;
      const run = group.firstReady() as RunRecord;
      const blocker = this.admitted.fullGroupOf(run);
      if (blocker) {
        this.pending.park(run, blocker);
        continue;
      }
      this.admit(run, now);
      decisions.push({ type: 'admit', run: run.id });
    }

    this.sweep();
    return decisions;
  }

  /** The earliest schedule-timeout deadline among queued runs (µs). */
  nextDeadline(): number | undefined {
    return this.pending.nextDeadline();
  }

  stats(): EngineStats {
    const perWorkflow = new Map<string, Tally>();
    let queued = 0;
    let groups = 0;
    for (const book of this.books.values()) {
      const tally = book.tally();
      perWorkflow.set(book.id, tally);
      queued += tally.queued;
      groups += tally.groups;
    }
    return { queued, running: this.admitted.running, groups, perWorkflow };
  }

  runState(runId: string): RunState | undefined {
    return this.runs.get(runId)?.state;
  }

  /**
   * A queued run's keys as the engine holds them, the same as it was given: a run
   * in one group shares its group's copy, which a caller that keeps keys per run
   * can keep instead of its own.
   */
  queuedKeysOf(runId: string): readonly RunKey[] | undefined {
    const run = this.runs.get(runId);
    return run?.state === 'queued' ? run.keys : undefined;
  }

  private replace(run: QueuedRun, state: RunState): void {
    const hash = hashOf(run.id);
    const known = this.runs.get(run.id, hash);
    if (known && known.state !== 'queued') return;
    if (known) this.detach(known);
    this.attach(this.records.make(run, hash, state), this.bookOf(run.workflow));
    this.sweep();
  }

  /** Every run of the Workflow leaves its groups and joins them again under the new limits; groups keep their round-robin standing. */
  private regroup(book: WorkflowBook, limits: WorkflowLimits | undefined): void {
    const runs = [...book.runs];
    for (const run of runs) this.detach(run);
    book.reconfigure(limits);
    for (const run of runs) this.attach(run, book);
    this.emptiedBooks.push(book);
    this.sweep();
  }

  private attach(run: RunRecord, book: WorkflowBook): void {
    run.book = book;
    book.hold(run);
    this.runs.add(run);
    const memberships = book.membershipsOf(run);
    if (memberships && !memberships.next) run.keys = memberships.group.shared(run.keys);
    if (run.state === 'queued') {
      book.queued += 1;
      this.pending.enqueue(run, book.deadlineOf(run));
    } else {
      book.running += 1;
      this.admitted.occupy(run);
    }
    for (let m = run.memberships; m; m = m.next) {
      const group = m.group;
      group.members += 1;
      if (run.state !== 'queued') this.pending.refresh(group);
      if (!group.contenders) continue;
      if (group.contenders.admits(run)) group.contenders.enter(run, m);
      // A contender more, or (CANCEL_NEWEST) a slot taken: the rule may cancel someone.
      this.unsettle(group);
    }
  }

  private detach(run: RunRecord): void {
    const book = run.book as WorkflowBook;
    book.letGo(run);
    this.runs.delete(run);
    for (let m = run.memberships; m; m = m.next) m.group.contenders?.leave(m);
    if (run.state === 'queued') {
      book.queued -= 1;
      this.pending.dequeue(run);
    } else {
      book.running -= 1;
      this.release(run);
    }
    for (let m = run.memberships; m; m = m.next) {
      m.group.members -= 1;
      if (m.group.members === 0) this.emptied.push(m.group);
    }
    leaveGroups(run);
    run.book = undefined;
    if (book.runs.length === 0) this.emptiedBooks.push(book);
  }

  private admit(run: RunRecord, now: number): void {
    const book = run.book as WorkflowBook;
    book.queued -= 1;
    book.running += 1;
    this.pending.dequeue(run);
    run.state = 'running';
    this.admitted.occupy(run);
    const seq = this.admissions++;
    for (let m = run.memberships; m; m = m.next) {
      if (!m.group.contenders?.admits(run)) m.group.contenders?.leave(m);
      this.pending.tookTurn(m.group, now, seq);
    }
  }

  private markCancelling(run: RunRecord): void {
    run.state = 'cancelling';
    for (let m = run.memberships; m; m = m.next) m.group.contenders?.leave(m);
  }

  private release(run: RunRecord): void {
    this.admitted.vacate(run);
    for (let m = run.memberships; m; m = m.next) this.pending.refresh(m.group);
  }

  private unsettle(group: Group): void {
    if (group.unsettled) return;
    group.unsettled = true;
    this.unsettled.push(group);
  }

  /** The verdicts of every unsettled group; a run cancelled by several entries gets the first entry's. */
  private settleContests(): readonly Verdict[] {
    if (this.unsettled.length === 0) return none;
    const verdicts = new Map<RunRecord, Verdict>();
    for (const group of this.unsettled) {
      // Not unsettled any more: forgotten since.
      if (!group.unsettled) continue;
      group.unsettled = false;
      for (const verdict of group.contenders?.settle(group) ?? []) {
        const earlier = verdicts.get(verdict.run);
        if (!earlier || verdict.entry < earlier.entry) verdicts.set(verdict.run, verdict);
      }
    }
    this.unsettled.length = 0;
    return [...verdicts.values()].sort((a, b) => arrivalOrder(a.run, b.run));
  }

  /** The engine holds no group without runs, and no Workflow without limits or runs. */
  private sweep(): void {
    if (this.emptied.length > 0) this.forgetEmptyGroups();
    if (this.emptiedBooks.length === 0) return;
    for (const book of this.emptiedBooks) if (book.idle) this.books.delete(book.id);
    this.emptiedBooks.length = 0;
  }

  private forgetEmptyGroups(): void {
    for (const group of this.emptied) {
      if (group.members > 0) continue;
      this.bookOf(group.workflow).forget(group);
      group.unsettled = false;
    }
    this.emptied.length = 0;
  }

  private bookOf(workflow: string): WorkflowBook {
    let book = this.books.get(workflow);
    if (!book) {
      book = new WorkflowBook(workflow);
      this.books.set(workflow, book);
    }
    return book;
  }
}

const none: readonly Verdict[] = [];

const idOfRun = (run: RunRecord): string => run.id;

function checkedGlobalLimit(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`maxConcurrentRuns must be an integer >= 0 (0 = unlimited), got ${n}`);
  return n;
}

function checkLimits(workflow: WorkflowLimits): void {
  const seen = new Set<string>();
  for (const entry of workflow.entries) {
    if (!Number.isInteger(entry.maxRuns) || entry.maxRuns < 1) {
      throw new RangeError(`Workflow ${workflow.id}: entry ${JSON.stringify(entry.expression)}: maxRuns must be an integer >= 1, got ${entry.maxRuns}`);
    }
    if (seen.has(entry.expression)) throw new RangeError(`Workflow ${workflow.id}: expression ${JSON.stringify(entry.expression)} appears twice; expressions must be unique`);
    seen.add(entry.expression);
  }
  const timeout = workflow.scheduleTimeoutMicros;
  if (timeout !== undefined && !(timeout >= 0)) throw new RangeError(`Workflow ${workflow.id}: scheduleTimeoutMicros must be >= 0, got ${timeout}`);
}

function sameLimits(a: WorkflowLimits, b: WorkflowLimits): boolean {
  return (
    a.scheduleTimeoutMicros === b.scheduleTimeoutMicros &&
    a.entries.length === b.entries.length &&
    a.entries.every((e, i) => {
      const f = b.entries[i];
      return f !== undefined && e.expression === f.expression && e.maxRuns === f.maxRuns && e.strategy === f.strategy;
    })
  );
}
