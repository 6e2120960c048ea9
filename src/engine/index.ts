/**
 * The admission engine: SPEC §3 as one pure, incremental module. The operator
 * tells it what it observes (Workflow limits, queued runs, runs holding slots,
 * runs gone) and calls decide(now) for one admission cycle; it never reads a
 * clock or does I/O.
 *
 * Choices where the specification is silent:
 * - Groups. A group is (Workflow, expression, key). A Workflow without entries
 *   puts all its runs in one group without a limit, which takes part in the round
 *   robin like any other; only the global limit applies to it. A group that has
 *   no runs left is forgotten, with its round-robin standing.
 * - One cycle, in this order: (1) queued runs whose queuedAt + scheduleTimeout
 *   <= now time out; (2) every CANCEL_* rule applies; (3) admissions. Decisions
 *   come in that order; cancellations oldest first (queuedAt, then id),
 *   admissions in the order they were made.
 * - Several CANCEL_* entries are judged at once, on the state at step 2, each in
 *   its own group; a run that any entry cancels is cancelled, with the reason of
 *   the first such entry in the Workflow's list. That is already a fixed point:
 *   cancelling only removes runs, which never makes a rule cancel more, and
 *   admitting never does either.
 * - Orders. Runs are compared by priority, then queuedAt (µs), then id
 *   ("namespace/name", code-unit order); "newest" is the exact reverse of "oldest"
 *   within a priority. Kept queued runs of every strategy are admitted by priority,
 *   then oldest.
 * - CANCEL_IN_PROGRESS weighs queued and running runs; a run it already cancelled
 *   (its Job being deleted) no longer contends but still holds its slot.
 *   CANCEL_NEWEST keeps maxRuns minus the runs holding slots. A run cancelled by
 *   CANCEL_IN_PROGRESS or CANCEL_QUEUED_EXCEPT_NEWEST is told the best run its
 *   group kept (replacedBy); with several entries, that run may itself be
 *   cancelled by another entry in the same cycle.
 * - Round robin (§3.1, §3.4) orders every admission, not only when the global
 *   limit binds: the turn goes to the group, across all Workflows, whose last
 *   admission is oldest (the `now` of that cycle, then a sequence number); a group
 *   that never admitted counts from the oldest queuedAt of the runs queued in it
 *   since it appeared; remaining ties go by (Workflow, expression, key). An
 *   admission is a turn of every group of the run. A failed Job write does not
 *   give the turn back.
 * - Several entries (§3.5): a run is admitted when each of its groups has fewer
 *   than maxRuns runs holding slots and a global slot is free. A group's best run
 *   that another full group blocks is passed over, so a later run of the group
 *   may go.
 * - Keys. A queued run needs a key for every entry of its Workflow; keys for
 *   expressions the Workflow no longer has are ignored. A queued run missing a key
 *   (keys from an older generation), or whose Workflow is unknown, is in no group
 *   and waits until it is enqueued again. A running run counts in the groups whose
 *   expression still exists, and always against the global limit.
 * - Workflow changes: a lower maxRuns never cancels running runs except under
 *   CANCEL_IN_PROGRESS, whose rule applies as usual at the next cycle.
 * - Assume, then write: enqueue() or observeRunning() of a run the engine holds
 *   as running or cancelling is ignored. An admission the engine made stands until
 *   admissionFailed() or remove(), so a stale cache cannot admit a run twice.
 *
 * Cost: an event (enqueue, remove, observeRunning, admissionFailed; an admission,
 * cancellation or timeout in decide) is O(log n) in the number of queued runs;
 * a run arriving in admission order and the admission of a group's best run are
 * O(1) in the group's own queue (ready-queue.ts).
 * With several entries, a slot freed in a group that blocks runs of other groups
 * adds O(log n) for each parked run that comes back, and those are only the runs
 * of groups that waited longer than the group whose turn comes next (pending.ts).
 * A Workflow change costs O(log n) per run of that Workflow, since each run's
 * groups change.
 * With 100,000 runs, what an event costs is mostly memory, not comparisons:
 * a queued run in one group is one object besides its id, sharing its keys with
 * its group, and a run that arrives takes the record of one that went
 * (run-record.ts), so that collecting the young generation, which every queued
 * run outlives, copies little; and runs and groups are found by key with one
 * cache miss, not a walk through a Map's chains, in tables that leave no garbage
 * for the old generation (hash-index.ts).
 */
export { AdmissionEngine } from './engine.ts';
export {
  CONSTANT_EXPRESSION,
  constantLimit,
  type ConcurrencyEntry,
  type Decision,
  type EngineStats,
  type Priority,
  type QueuedRun,
  type RunKey,
  type RunState,
  type Strategy,
  type Tally,
  type WorkflowLimits,
} from './types.ts';
