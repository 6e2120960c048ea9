// npm run bench:engine — the admission engine under load, and the reference
// model (test/engine/reference.ts) on the same workloads, in one process.
//
// Workload: `runs` queued runs spread evenly over `groups` groups (input.group)
// of 10 Workflows, a global limit of 100 that is always full, and maxRuns per
// group such that the global limit binds. Each iteration is two events, each
// followed by a cycle, as the operator does: a running run's Job finishes
// (remove, decide: one admission), and a new run arrives (enqueue, decide).
//   usPerDecision  time in the cycles that admitted, per admission
//   usPerEvent     time of every call, per event (call + its cycle)
//   heapMB         heap held by the implementation with its runs
// Each figure is the median of several timed rounds, after a warm-up, in a
// process of its own, so that every row starts from the same state (in one
// process, a row inherits the heap and the JIT's state of the rows before it).
// The engine rows' processes live side by side and take turns, one round each
// in turn: this shared VM drifts by tens of percent within seconds, and the
// targets compare rows, so each row's rounds are spread over the same minute as
// every other row's. Writes bench/results/engine.json.
// `npm run bench:engine -- 100000x10000` measures one size only, and writes nothing.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { writeFileSync, mkdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AdmissionEngine, type QueuedRun } from '../src/engine/index.ts';
import { ReferenceModel } from '../test/engine/reference.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const GLOBAL_LIMIT = 100;
const WORKFLOWS = 10;

interface Row {
  impl: 'engine' | 'reference';
  runs: number;
  groups: number;
  usPerDecision: number;
  usPerEvent: number;
  eventsPerSec: number;
  heapMB: number;
}

type Implementation = AdmissionEngine | ReferenceModel;

/** A deterministic random sequence (mulberry32), so both implementations see the same events. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Several entries: 5 tiers of 10 slots (together fewer than the global limit, so tiers bind) and 1,000 accounts of 5. */
const TIERS = { count: 5, maxRuns: 10 };
const ACCOUNTS = { count: 1_000, maxRuns: 5 };

class Workload {
  readonly runs: number;
  readonly groups: number;
  readonly tiered: boolean;
  readonly maxRuns: number;
  private next = 0;
  private clock = 1_700_000_000_000_000;

  constructor(runs: number, groups: number, tiered = false) {
    this.runs = runs;
    this.groups = groups;
    this.tiered = tiered;
    this.maxRuns = Math.max(1, Math.ceil((2 * GLOBAL_LIMIT) / Math.min(groups, runs)));
  }

  now(): number {
    return (this.clock += 1);
  }

  /** The next run, in group n mod groups (tiered: tier and account from n). */
  run(group: number = this.next): QueuedRun {
    const n = this.next++;
    const g = group % this.groups;
    if (this.tiered) {
      const keys = [
        { expression: 'input.tier', key: `t${g % TIERS.count}` },
        { expression: 'input.account', key: `a${Math.floor(g / TIERS.count) % ACCOUNTS.count}` },
      ];
      return { id: `bench/run-${n}`, workflow: 'bench/wf-0', keys, priority: 1, queuedAt: this.now() };
    }
    return {
      id: `bench/run-${n}`,
      workflow: `bench/wf-${g % WORKFLOWS}`,
      keys: [{ expression: 'input.group', key: `g${g}` }],
      priority: 1,
      queuedAt: this.now(),
    };
  }

  limits(w: number) {
    if (this.tiered) {
      return {
        id: `bench/wf-${w}`,
        entries: [
          { expression: 'input.tier', maxRuns: TIERS.maxRuns, strategy: 'GROUP_ROUND_ROBIN' as const },
          { expression: 'input.account', maxRuns: ACCOUNTS.maxRuns, strategy: 'GROUP_ROUND_ROBIN' as const },
        ],
      };
    }
    return { id: `bench/wf-${w}`, entries: [{ expression: 'input.group', maxRuns: this.maxRuns, strategy: 'GROUP_ROUND_ROBIN' as const }] };
  }
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Builds the starting state: the global limit full of running runs, `runs` queued
 * behind. Tiered: the engine admits the first runs itself, until the tiers are full.
 */
function setUp(impl: 'engine' | 'reference', workload: Workload): { admission: Implementation; running: string[] } {
  const admission = impl === 'engine' ? new AdmissionEngine({ maxConcurrentRuns: GLOBAL_LIMIT }) : new ReferenceModel({ maxConcurrentRuns: GLOBAL_LIMIT });
  for (let w = 0; w < (workload.tiered ? 1 : WORKFLOWS); w++) admission.upsertWorkflow(workload.limits(w));
  const running = workload.tiered ? [] : Array.from({ length: GLOBAL_LIMIT }, (_, i) => workload.run(i));
  const queued = Array.from({ length: workload.runs }, (_, i) => workload.run(i));
  if (admission instanceof ReferenceModel) {
    admission.load(running, 'running');
    admission.load(queued, 'queued');
  } else {
    for (const r of running) admission.observeRunning(r);
    for (const r of queued) admission.enqueue(r);
  }
  const admitted = admission.decide(workload.now()).map((d) => d.run);
  return { admission, running: [...running.map((r) => r.id), ...admitted] };
}

/** One timed stretch of iterations: its costs. */
interface Round {
  usPerDecision: number;
  usPerEvent: number;
}

/** A workload set up and warmed up: the heap it holds, and one timed round (SETTINGS) at a time. */
interface Prepared {
  heapMB: number;
  round: () => Round;
}

const SETTINGS = {
  engine: { warmUpMs: 500, rounds: 7, roundMs: 300, minIterations: 1000 },
  reference: { warmUpMs: 0, rounds: 3, roundMs: 1000, minIterations: 3 },
};

function prepare(impl: 'engine' | 'reference', runs: number, groups: number, tiered = false): Prepared {
  const workload = new Workload(runs, groups, tiered);
  const before = heapUsed();
  const { admission, running } = setUp(impl, workload);
  const heapMB = (heapUsed() - before) / 2 ** 20;
  const pick = random(runs * 31 + groups);

  /** Two events, each with its cycle; returns [ms in cycles that admitted, ms in all calls, admissions]. */
  const iterate = (): [number, number, number] => {
    // A Job finishes: its slot goes to the group whose turn it is.
    const index = Math.floor(pick() * running.length);
    const finished = running[index] as string;
    const t0 = performance.now();
    admission.remove(finished);
    const t1 = performance.now();
    const first = admission.decide(workload.now());
    const t2 = performance.now();
    running[index] = running[running.length - 1] as string;
    running.pop();
    // A new run arrives in a random group. (With one entry the global limit is full
    // again and it waits; with several, it may fill a tier whose queue ran dry.)
    const arrival = workload.run(Math.floor(pick() * groups));
    const t3 = performance.now();
    admission.enqueue(arrival);
    const t4 = performance.now();
    const second = admission.decide(workload.now());
    const t5 = performance.now();
    for (const d of [...first, ...second]) if (d.type === 'admit') running.push(d.run);
    const admitting = (first.length > 0 ? t2 - t1 : 0) + (second.length > 0 ? t5 - t4 : 0);
    return [admitting, t2 - t0 + (t5 - t3), first.length + second.length];
  };

  const round = (ms: number, minIterations: number): Round => {
    let decide = 0;
    let total = 0;
    let admissions = 0;
    let iterations = 0;
    const started = performance.now();
    while (iterations < minIterations || performance.now() - started < ms) {
      const [d, t, a] = iterate();
      decide += d;
      total += t;
      admissions += a;
      iterations += 1;
    }
    if (!tiered && admissions !== iterations) throw new Error(`${impl}: expected one admission per finished Job, got ${admissions} in ${iterations}`);
    return { usPerDecision: (decide * 1000) / admissions, usPerEvent: (total * 1000) / (2 * iterations) };
  };

  // Warm up: the JIT, the queues' sizes.
  const { warmUpMs, roundMs, minIterations } = SETTINGS[impl];
  round(warmUpMs, impl === 'engine' ? 1000 : 1);
  return { heapMB, round: () => round(roundMs, minIterations) };
}

/**
 * The row from its rounds' medians: a round that a major collection or another
 * process lands in does not decide.
 */
function rowOf(impl: Row['impl'], runs: number, groups: number, heapMB: number, rounds: Round[]): Row {
  const usPerEvent = median(rounds.map((r) => r.usPerEvent));
  return {
    impl,
    runs,
    groups,
    usPerDecision: rounded(median(rounds.map((r) => r.usPerDecision))),
    usPerEvent: rounded(usPerEvent),
    eventsPerSec: Math.round(1e6 / usPerEvent),
    heapMB: rounded(heapMB),
  };
}

function measure(impl: 'engine' | 'reference', runs: number, groups: number, tiered = false): Row {
  const { heapMB, round } = prepare(impl, runs, groups, tiered);
  return rowOf(impl, runs, groups, heapMB, Array.from({ length: SETTINGS[impl].rounds }, round));
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function rounded(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Rounds per engine row, the rows taking turns. */
const TURNS = 21;

/** Measures one row in a fresh process (this file with --row), and returns it. */
function inChild(row: string): Row {
  const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, `--row=${row}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`bench:engine --row=${row} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Row;
}

/** An engine row's process (this file with --serve): prepared once, then one round per request. */
class RowProcess {
  readonly runs: number;
  readonly groups: number;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: AsyncIterator<string>;
  private stderr = '';

  constructor(runs: number, groups: number) {
    this.runs = runs;
    this.groups = groups;
    this.child = spawn(process.execPath, [...process.execArgv, import.meta.filename, `--serve=${runs}x${groups}`]);
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.replies = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** The process's heap figure, once it is set up and warmed up. */
  async ready(): Promise<number> {
    return (JSON.parse(await this.reply()) as { heapMB: number }).heapMB;
  }

  async round(): Promise<Round> {
    this.child.stdin.write('round\n');
    return JSON.parse(await this.reply()) as Round;
  }

  close(): void {
    this.child.stdin.end();
  }

  private async reply(): Promise<string> {
    const line = await this.replies.next();
    if (line.done) throw new Error(`bench:engine --serve=${this.runs}x${this.groups} failed: ${this.stderr}`);
    return line.value;
  }
}

/** Every size in a process of its own, all set up first, then TURNS rounds each, the sizes taking turns. */
async function engineRows(sizes: [number, number][]): Promise<Row[]> {
  const processes = sizes.map(([runs, groups]) => new RowProcess(runs, groups));
  const heaps = await Promise.all(processes.map((p) => p.ready()));
  const rounds: Round[][] = processes.map(() => []);
  for (let turn = 1; turn <= TURNS; turn++) {
    for (const [i, p] of processes.entries()) (rounds[i] as Round[]).push(await p.round());
    process.stderr.write(`engine: turn ${turn} of ${TURNS}\n`);
  }
  for (const p of processes) p.close();
  return processes.map((p, i) => rowOf('engine', p.runs, p.groups, heaps[i] as number, rounds[i] as Round[]));
}

const rowFlag = process.argv.find((a) => a.startsWith('--row='))?.slice('--row='.length);
if (rowFlag) {
  // One row, in this process: reference:RUNSxGROUPS or tiered:RUNS.
  const [impl = '', size = ''] = rowFlag.split(':');
  const [runs = 0, groups = 0] = size.split('x').map(Number);
  const row = impl === 'tiered' ? measure('engine', runs, TIERS.count * ACCOUNTS.count, true) : measure(impl as Row['impl'], runs, groups);
  process.stdout.write(JSON.stringify(row));
  process.exit(0);
}

const serveFlag = process.argv.find((a) => a.startsWith('--serve='))?.slice('--serve='.length);
if (serveFlag) {
  // An engine row's process: its heap once ready, then a round for each line read.
  const [runs = 0, groups = 0] = serveFlag.split('x').map(Number);
  const { heapMB, round } = prepare('engine', runs, groups);
  process.stdout.write(`${JSON.stringify({ heapMB })}\n`);
  for await (const line of createInterface({ input: process.stdin })) if (line === 'round') process.stdout.write(`${JSON.stringify(round())}\n`);
  process.exit(0);
}

const only = process.argv[2]?.split('x').map(Number);
if (only) {
  const [runs = 0, groups = 0] = only;
  console.log((await engineRows([[runs, groups]]))[0]);
  console.log(inChild(`reference:${runs}x${groups}`));
  process.exit(0);
}

const sizes = [1_000, 10_000, 100_000];
const groupCounts = [10, 1_000, 10_000];
const rows: Row[] = await engineRows(sizes.flatMap((runs) => groupCounts.map((groups): [number, number] => [runs, groups])));
for (const runs of sizes) {
  for (const groups of groupCounts) {
    const row = inChild(`reference:${runs}x${groups}`);
    rows.push(row);
    process.stderr.write(`reference ${runs} runs / ${groups} groups: ${row.usPerEvent} µs per event\n`);
  }
}

const header = ['runs', 'groups', 'engine µs/decision', 'engine µs/event', 'engine events/s', 'engine heap MB', 'reference µs/event', 'reference heap MB', 'reference / engine'];
const lines = [header];
for (const runs of sizes) {
  for (const groups of groupCounts) {
    const engine = rows.find((r) => r.impl === 'engine' && r.runs === runs && r.groups === groups) as Row;
    const reference = rows.find((r) => r.impl === 'reference' && r.runs === runs && r.groups === groups) as Row;
    lines.push([
      String(runs),
      String(groups),
      engine.usPerDecision.toFixed(2),
      engine.usPerEvent.toFixed(2),
      String(engine.eventsPerSec),
      engine.heapMB.toFixed(1),
      reference.usPerEvent.toFixed(0),
      reference.heapMB.toFixed(1),
      `${Math.round(reference.usPerEvent / engine.usPerEvent)}x`,
    ]);
  }
}
const widths = header.map((_, c) => Math.max(...lines.map((l) => (l[c] as string).length)));
const format = (l: string[]) => `| ${l.map((cell, c) => cell.padStart(widths[c] as number)).join(' | ')} |`;
console.log(format(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const l of lines.slice(1)) console.log(format(l));

const engineAt = (runs: number, groups: number) => rows.find((r) => r.impl === 'engine' && r.runs === runs && r.groups === groups) as Row;
const referenceAt = (runs: number, groups: number) => rows.find((r) => r.impl === 'reference' && r.runs === runs && r.groups === groups) as Row;
console.log('\nTargets:');
console.log(`  decision at 100k runs / 10k groups: ${engineAt(100_000, 10_000).usPerDecision} µs (target <= 2)`);
for (const groups of groupCounts) {
  console.log(`  event cost 100k / 1k runs over ${groups} groups: ${(engineAt(100_000, groups).usPerEvent / engineAt(1_000, groups).usPerEvent).toFixed(2)}x (target <= 1.5x)`);
  console.log(`  reference / engine at 100k runs over ${groups} groups: ${Math.round(referenceAt(100_000, groups).usPerEvent / engineAt(100_000, groups).usPerEvent)}x (target >= 100x)`);
}

// What the 100k/1k ratios come down to: at 1k runs the engine is in cache, at
// 100k each event reads several things that are not, and each such read costs
// what a chain of dependent reads over a large array costs per read here.
const random16 = random(16);
const latency = (bytes: number): number => {
  const n = bytes / 4;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random16() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) next[order[i] as number] = order[(i + 1) % n] as number;
  const hops = 4_000_000;
  let at = 0;
  const started = performance.now();
  for (let k = 0; k < hops; k++) at = next[at] as number;
  return ((performance.now() - started) * 1e6) / hops;
};
console.log(`  (a dependent read costs ${latency(16 * 2 ** 20).toFixed(0)} ns over 16 MB here, ${latency(256 * 2 ** 10).toFixed(0)} ns over 256 KB)`);

// Several entries, where runs wait on full groups (engine only; not in the JSON):
// 5 tiers of 10 slots bind, 1,000 accounts of 5; each arrival goes to a random
// tier and account, so (runs / 5,000) runs of one account wait in one tier.
console.log('\nSeveral entries (tier 5 x 10 slots, account 1,000 x 5 slots; the tiers bind):');
console.log('|   runs | engine µs/decision | engine µs/event | engine events/s |');
console.log('|--------|--------------------|-----------------|-----------------|');
for (const runs of sizes) {
  const row = inChild(`tiered:${runs}`);
  console.log(`| ${String(runs).padStart(6)} | ${row.usPerDecision.toFixed(2).padStart(18)} | ${row.usPerEvent.toFixed(2).padStart(15)} | ${String(row.eventsPerSec).padStart(15)} |`);
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/engine.json', import.meta.url), `${JSON.stringify(rows, null, 2)}\n`);
