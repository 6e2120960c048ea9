// The admitted picture: which runs hold slots, per group and overall. An
// admission counts here from the moment it is decided (assume), before its Job
// is written; a failed write takes it out again.
import type { Group } from './group.ts';
import type { RunRecord } from './run-record.ts';

export class AdmittedPicture {
  /** 0 = unlimited (§3.4). */
  private maxConcurrentRuns: number;
  private holding = 0;

  constructor(maxConcurrentRuns: number) {
    this.maxConcurrentRuns = maxConcurrentRuns;
  }

  get running(): number {
    return this.holding;
  }

  setLimit(maxConcurrentRuns: number): void {
    this.maxConcurrentRuns = maxConcurrentRuns;
  }

  hasGlobalRoom(): boolean {
    return this.maxConcurrentRuns === 0 || this.holding < this.maxConcurrentRuns;
  }

  /** The first of the run's groups that has no room, if any. */
  fullGroupOf(run: RunRecord): Group | undefined {
    for (let m = run.memberships; m; m = m.next) if (m.group.running >= m.group.maxRuns) return m.group;
    return undefined;
  }

  occupy(run: RunRecord): void {
    this.holding += 1;
    for (let m = run.memberships; m; m = m.next) m.group.running += 1;
  }

  vacate(run: RunRecord): void {
    this.holding -= 1;
    for (let m = run.memberships; m; m = m.next) m.group.running -= 1;
  }
}
