// A deliberately simple model of SPEC §3, written from the text with full scans
// and no incremental state, for the engine to be checked against. It makes the
// same choices where the specification is silent (src/engine/index.ts lists
// them), and nothing else: every cycle it recomputes groups, counts and orders
// from the list of runs.
import type { Decision, EngineStats, QueuedRun, RunState, Strategy, Tally, WorkflowLimits } from '../../src/engine/index.ts';

interface Held {
  run: QueuedRun;
  state: RunState;
}

export interface GroupOfRun {
  id: string;
  workflow: string;
  expression: string;
  key: string;
  maxRuns: number;
  strategy: Strategy;
  /** Position of the entry in the Workflow; -1 for the pseudo-group of a Workflow without entries. */
  entry: number;
}

/** When a group last admitted (time, sequence number), or since when it has waited (time, -1). */
interface Standing {
  time: number;
  seq: number;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** priority high first, then oldest, then id */
const oldestFirst = (a: QueuedRun, b: QueuedRun) => b.priority - a.priority || a.queuedAt - b.queuedAt || byId(a.id, b.id);
/** priority high first, then newest, then id (reversed) */
const newestFirst = (a: QueuedRun, b: QueuedRun) => b.priority - a.priority || b.queuedAt - a.queuedAt || byId(b.id, a.id);

/**
 * The groups a run counts in (§3, §3.7): one per entry of its Workflow's current
 * generation. A queued run without a key for some entry is in none; a run holding
 * a slot counts where its keys still apply. No entries: one pseudo-group.
 */
export function groupsOf(run: QueuedRun, state: RunState, workflows: ReadonlyMap<string, WorkflowLimits>): GroupOfRun[] {
  const workflow = workflows.get(run.workflow);
  if (!workflow) return [];
  if (workflow.entries.length === 0) {
    return [{ id: JSON.stringify([run.workflow]), workflow: run.workflow, expression: '', key: '', maxRuns: Infinity, strategy: 'GROUP_ROUND_ROBIN', entry: -1 }];
  }
  const groups: GroupOfRun[] = [];
  for (const [entry, spec] of workflow.entries.entries()) {
    const key = run.keys.find((k) => k.expression === spec.expression)?.key;
    if (key === undefined) {
      if (state === 'queued') return [];
      continue;
    }
    groups.push({ id: JSON.stringify([run.workflow, spec.expression, key]), workflow: run.workflow, expression: spec.expression, key, maxRuns: spec.maxRuns, strategy: spec.strategy, entry });
  }
  return groups;
}

export class ReferenceModel {
  private maxConcurrentRuns: number;
  private readonly workflows = new Map<string, WorkflowLimits>();
  private readonly runs = new Map<string, Held>();
  private readonly standings = new Map<string, Standing>();
  private admissions = 0;

  constructor(options: { maxConcurrentRuns: number }) {
    this.maxConcurrentRuns = options.maxConcurrentRuns;
  }

  setMaxConcurrentRuns(n: number): void {
    this.maxConcurrentRuns = n;
  }

  upsertWorkflow(workflow: WorkflowLimits): void {
    this.workflows.set(workflow.id, structuredClone(workflow));
    this.endOfCall();
  }

  removeWorkflow(id: string): void {
    this.workflows.delete(id);
    this.endOfCall();
  }

  enqueue(run: QueuedRun): void {
    const held = this.runs.get(run.id);
    if (!held || held.state === 'queued') this.runs.set(run.id, { run, state: 'queued' });
    this.endOfCall();
  }

  observeRunning(run: QueuedRun): void {
    const held = this.runs.get(run.id);
    if (!held || held.state === 'queued') this.runs.set(run.id, { run, state: 'running' });
    this.endOfCall();
  }

  /** The same as enqueue() or observeRunning() of each run in turn, with one bookkeeping pass: for benchmarks that start from many runs. */
  load(runs: readonly QueuedRun[], state: 'queued' | 'running'): void {
    for (const run of runs) {
      const held = this.runs.get(run.id);
      if (!held || held.state === 'queued') this.runs.set(run.id, { run, state });
    }
    this.endOfCall();
  }

  remove(runId: string): void {
    this.runs.delete(runId);
    this.endOfCall();
  }

  admissionFailed(runId: string): void {
    const held = this.runs.get(runId);
    if (held?.state === 'running') held.state = 'queued';
    this.endOfCall();
  }

  decide(now: number): Decision[] {
    const decisions: Decision[] = [];

    // 1. "a run queued longer than this is cancelled (reason ScheduleTimeout)"
    const expired = this.queued()
      .map((held) => ({ held, deadline: this.deadlineOf(held) }))
      .filter(({ deadline }) => deadline <= now)
      .sort((a, b) => a.deadline - b.deadline || byId(a.held.run.id, b.held.run.id));
    for (const { held } of expired) {
      decisions.push({ type: 'timeout', run: held.run.id, reason: 'ScheduleTimeout' });
      this.runs.delete(held.run.id);
    }

    // 2. "Each CANCEL_* entry applies its rule in its own group; a run that any entry cancels is cancelled."
    const verdicts = new Map<string, { held: Held; entry: number; decision: Decision }>();
    for (const { group, members } of this.groups()) {
      if (group.strategy === 'GROUP_ROUND_ROBIN') continue;
      const cip = group.strategy === 'CANCEL_IN_PROGRESS';
      const contenders = members.filter((h) => h.state === 'queued' || (cip && h.state === 'running'));
      const keepNewest = cip || group.strategy === 'CANCEL_QUEUED_EXCEPT_NEWEST';
      contenders.sort((a, b) => (keepNewest ? newestFirst(a.run, b.run) : oldestFirst(a.run, b.run)));
      const holding = members.filter((h) => h.state !== 'queued').length;
      const places = group.strategy === 'CANCEL_NEWEST' ? Math.max(0, group.maxRuns - holding) : group.maxRuns;
      const replacedBy = contenders[0]?.run.id ?? '';
      for (const held of contenders.slice(places)) {
        const decision = verdict(group.strategy, held, replacedBy);
        const earlier = verdicts.get(held.run.id);
        if (!earlier || group.entry < earlier.entry) verdicts.set(held.run.id, { held, entry: group.entry, decision });
      }
    }
    const cancelled = [...verdicts.values()].sort((a, b) => a.held.run.queuedAt - b.held.run.queuedAt || byId(a.held.run.id, b.held.run.id));
    for (const { held, decision } of cancelled) {
      decisions.push(decision);
      if (held.state === 'queued') this.runs.delete(held.run.id);
      else held.state = 'cancelling';
    }

    // 3. "A queued run waits until every one of its groups has fewer than maxRuns
    //    running runs (and a global slot is free)"; "the group whose last
    //    admission is oldest" goes first; within it, priority, queuedAt, name.
    while (this.maxConcurrentRuns === 0 || this.holdingOverall() < this.maxConcurrentRuns) {
      const holding = this.holdingByGroup();
      const admissible = this.queued().filter((held) => {
        const groups = groupsOf(held.run, held.state, this.workflows);
        return groups.length > 0 && groups.every((g) => (holding.get(g.id) ?? 0) < g.maxRuns);
      });
      const byGroup = new Map<string, { group: GroupOfRun; best: Held }>();
      for (const held of admissible) {
        for (const group of groupsOf(held.run, held.state, this.workflows)) {
          const seen = byGroup.get(group.id);
          if (!seen || oldestFirst(held.run, seen.best.run) < 0) byGroup.set(group.id, { group, best: held });
        }
      }
      const turn = [...byGroup.values()].sort((a, b) => this.turnOrder(a.group, b.group))[0];
      if (!turn) break;
      turn.best.state = 'running';
      decisions.push({ type: 'admit', run: turn.best.run.id });
      const seq = this.admissions++;
      for (const group of groupsOf(turn.best.run, 'running', this.workflows)) this.standings.set(group.id, { time: now, seq });
    }

    this.endOfCall();
    return decisions;
  }

  nextDeadline(): number | undefined {
    const deadlines = this.queued().map((held) => this.deadlineOf(held)).filter((d) => d !== Infinity);
    return deadlines.length === 0 ? undefined : Math.min(...deadlines);
  }

  stats(): EngineStats {
    const perWorkflow = new Map<string, Tally>();
    for (const id of this.workflows.keys()) perWorkflow.set(id, { queued: 0, running: 0, groups: 0 });
    for (const { run, state } of this.runs.values()) {
      const tally = perWorkflow.get(run.workflow) ?? { queued: 0, running: 0, groups: 0 };
      if (state === 'queued') tally.queued += 1;
      else tally.running += 1;
      perWorkflow.set(run.workflow, tally);
    }
    for (const { group } of this.groups()) (perWorkflow.get(group.workflow) as Tally).groups += 1;
    const total = { queued: 0, running: 0, groups: 0 };
    for (const tally of perWorkflow.values()) {
      total.queued += tally.queued;
      total.running += tally.running;
      total.groups += tally.groups;
    }
    return { ...total, perWorkflow };
  }

  runState(runId: string): RunState | undefined {
    return this.runs.get(runId)?.state;
  }

  /** Every group that has runs, with its runs. */
  groups(): { group: GroupOfRun; members: Held[] }[] {
    const groups = new Map<string, { group: GroupOfRun; members: Held[] }>();
    for (const held of this.runs.values()) {
      for (const group of groupsOf(held.run, held.state, this.workflows)) {
        const known = groups.get(group.id) ?? { group, members: [] };
        known.members.push(held);
        groups.set(group.id, known);
      }
    }
    return [...groups.values()];
  }

  private queued(): Held[] {
    return [...this.runs.values()].filter((held) => held.state === 'queued');
  }

  /** Per group, the runs holding a slot in it: running, or cancelled with their Job not gone. */
  private holdingByGroup(): Map<string, number> {
    const holding = new Map<string, number>();
    for (const held of this.runs.values()) {
      if (held.state === 'queued') continue;
      for (const group of groupsOf(held.run, held.state, this.workflows)) holding.set(group.id, (holding.get(group.id) ?? 0) + 1);
    }
    return holding;
  }

  private holdingOverall(): number {
    return [...this.runs.values()].filter((held) => held.state !== 'queued').length;
  }

  private deadlineOf(held: Held): number {
    const timeout = this.workflows.get(held.run.workflow)?.scheduleTimeoutMicros;
    return timeout === undefined ? Infinity : held.run.queuedAt + timeout;
  }

  private turnOrder(a: GroupOfRun, b: GroupOfRun): number {
    const sa = this.standings.get(a.id) as Standing;
    const sb = this.standings.get(b.id) as Standing;
    return sa.time - sb.time || sa.seq - sb.seq || byId(a.workflow, b.workflow) || byId(a.expression, b.expression) || byId(a.key, b.key);
  }

  /** Groups without runs are forgotten; one that never admitted has waited since its oldest queued run. */
  private endOfCall(): void {
    const groups = this.groups();
    const live = new Set(groups.map(({ group }) => group.id));
    for (const id of this.standings.keys()) if (!live.has(id)) this.standings.delete(id);
    for (const { group, members } of groups) {
      const standing = this.standings.get(group.id) ?? { time: Infinity, seq: -1 };
      if (standing.seq < 0) {
        for (const held of members) if (held.state === 'queued') standing.time = Math.min(standing.time, held.run.queuedAt);
      }
      this.standings.set(group.id, standing);
    }
  }
}

function verdict(strategy: Strategy, held: Held, replacedBy: string): Decision {
  const run = held.run.id;
  switch (strategy) {
    case 'CANCEL_IN_PROGRESS':
      return { type: 'cancel', run, reason: 'CancelledInProgress', replacedBy, running: held.state === 'running' };
    case 'CANCEL_NEWEST':
      return { type: 'reject', run, reason: 'CancelledNewest' };
    case 'CANCEL_QUEUED_EXCEPT_NEWEST':
      return { type: 'cancel', run, reason: 'CancelledQueuedExceptNewest', replacedBy, running: false };
    case 'CANCEL_QUEUED_EXCEPT_OLDEST':
      return { type: 'cancel', run, reason: 'CancelledQueuedExceptOldest', running: false };
    case 'GROUP_ROUND_ROBIN':
      throw new Error('GROUP_ROUND_ROBIN cancels nothing');
  }
}
