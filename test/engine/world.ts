// What the operator would see from outside the engine: the runs it told the
// engine about, the Jobs that exist, and the engine's decisions applied to them.
// The invariant properties check the engine's decisions against this picture.
import type { Decision, QueuedRun, RunState, WorkflowLimits } from '../../src/engine/index.ts';
import type { Event } from './events.ts';
import { runId, workflowId } from './events.ts';
import { groupsOf, type GroupOfRun } from './reference.ts';

interface Seen {
  run: QueuedRun;
  state: RunState;
}

export class World {
  global = 0;
  readonly workflows = new Map<string, WorkflowLimits>();
  readonly runs = new Map<string, Seen>();
  /** Runs whose Job exists: admitted (and not failed) or observed, until removed. */
  readonly jobs = new Set<string>();

  /** Mirrors an event the engine received (not a cycle). */
  observe(event: Event, run?: QueuedRun): void {
    switch (event.kind) {
      case 'upsertWorkflow':
        this.workflows.set(workflowId(event.workflow), { id: workflowId(event.workflow), entries: event.entries, ...(event.timeout === undefined ? {} : { scheduleTimeoutMicros: event.timeout }) });
        return;
      case 'removeWorkflow':
        this.workflows.delete(workflowId(event.workflow));
        return;
      case 'enqueue':
      case 'observeRunning': {
        const seen = this.runs.get(runId(event.run));
        if (seen && seen.state !== 'queued') return;
        this.runs.set(runId(event.run), { run: run as QueuedRun, state: event.kind === 'enqueue' ? 'queued' : 'running' });
        if (event.kind === 'observeRunning') this.jobs.add(runId(event.run));
        return;
      }
      case 'remove':
        this.runs.delete(runId(event.run));
        this.jobs.delete(runId(event.run));
        return;
      case 'admissionFailed': {
        const seen = this.runs.get(runId(event.run));
        if (seen?.state !== 'running') return;
        seen.state = 'queued';
        this.jobs.delete(runId(event.run));
        return;
      }
      case 'setMaxConcurrentRuns':
        this.global = event.limit;
        return;
      case 'decide':
        return;
    }
  }

  /** Applies one decision, throwing if it breaks an invariant at the moment it is made. */
  apply(decision: Decision): void {
    const seen = this.runs.get(decision.run);
    if (!seen) throw new Error(`decision about an unknown run: ${JSON.stringify(decision)}`);
    if (decision.type === 'admit') {
      if (seen.state !== 'queued') throw new Error(`admitted a run that is ${seen.state}: ${decision.run}`);
      if (this.jobs.has(decision.run)) throw new Error(`a second Job for ${decision.run}`);
      const groups = this.groupsOf(seen);
      if (groups.length === 0) throw new Error(`admitted ${decision.run}, which is in no group`);
      for (const group of groups) {
        if (this.holding(group) >= group.maxRuns) throw new Error(`admitted ${decision.run} into full group ${group.id} (maxRuns ${group.maxRuns})`);
      }
      if (this.global > 0 && this.holdingOverall() >= this.global) throw new Error(`admitted ${decision.run} beyond the global limit ${this.global}`);
      seen.state = 'running';
      this.jobs.add(decision.run);
      return;
    }
    if (decision.type === 'cancel' && decision.running) {
      if (seen.state !== 'running') throw new Error(`cancelled ${decision.run} as running, but it is ${seen.state}`);
      seen.state = 'cancelling';
      return;
    }
    if (seen.state !== 'queued') throw new Error(`${decision.type} of ${decision.run}, which is ${seen.state}`);
    this.runs.delete(decision.run);
  }

  groupsOf(seen: Seen): GroupOfRun[] {
    return groupsOf(seen.run, seen.state, this.workflows);
  }

  holding(group: GroupOfRun): number {
    let n = 0;
    for (const seen of this.runs.values()) if (seen.state !== 'queued' && this.groupsOf(seen).some((g) => g.id === group.id)) n += 1;
    return n;
  }

  holdingOverall(): number {
    return [...this.runs.values()].filter((seen) => seen.state !== 'queued').length;
  }

  hasGlobalRoom(): boolean {
    return this.global === 0 || this.holdingOverall() < this.global;
  }

  /** Queued runs that could start now: every group has room, and a global slot is free. */
  admissible(): Seen[] {
    if (!this.hasGlobalRoom()) return [];
    return [...this.runs.values()].filter((seen) => {
      if (seen.state !== 'queued') return false;
      const groups = this.groupsOf(seen);
      return groups.length > 0 && groups.every((g) => this.holding(g) < g.maxRuns);
    });
  }

  /** Every group that has runs, with its members. */
  groups(): Map<string, { group: GroupOfRun; members: Seen[] }> {
    const groups = new Map<string, { group: GroupOfRun; members: Seen[] }>();
    for (const seen of this.runs.values()) {
      for (const group of this.groupsOf(seen)) {
        const known = groups.get(group.id) ?? { group, members: [] };
        known.members.push(seen);
        groups.set(group.id, known);
      }
    }
    return groups;
  }
}
