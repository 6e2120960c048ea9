// The measurements of bench/e2e.ts, one function per section. Each section works
// in namespaces of its own and starts its own operator, scoped to its namespace.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  createRuns, createWorkflow, freshNamespace, jobTemplate, JobTracker, listJobs, RunTracker, sleep, wallMs,
  type Clients, type Created, type Plane, type RunSpec,
} from './kube.ts';
import { Operator, writes, type Metrics } from './operator.ts';
import { percentile, round } from './plot.ts';

export interface Sizes {
  throughputRuns: number;
  throughputGroups: number;
  idleRuns: number;
  handoffRuns: number;
  scaleRuns: number;
  scaleGroups: number;
  scaleWindowMs: number;
  fairnessBigRuns: number;
  fairnessSmallGroups: number;
  fairnessSmallRuns: number;
}

export const fullSizes: Sizes = {
  throughputRuns: 5_000, throughputGroups: 100, idleRuns: 500, handoffRuns: 200,
  scaleRuns: 50_000, scaleGroups: 10_000, scaleWindowMs: 15_000,
  fairnessBigRuns: 2_000, fairnessSmallGroups: 50, fairnessSmallRuns: 5,
};

export const quickSizes: Sizes = {
  throughputRuns: 1_000, throughputGroups: 100, idleRuns: 100, handoffRuns: 40,
  scaleRuns: 5_000, scaleGroups: 1_000, scaleWindowMs: 5_000,
  fairnessBigRuns: 200, fairnessSmallGroups: 10, fairnessSmallRuns: 5,
};

export interface Context {
  plane: Plane;
  c: Clients;
  qps: number;
  burst: number;
  sizes: Sizes;
  /** Creates in flight from the bench's own client. */
  createConcurrency: number;
  say: (line: string) => void;
  /** Where the throughput operator writes its CPU profile, if profiling. */
  cpuProfileDir: string | undefined;
  /** Development: start the scale section's operator on this namespace's runs instead of creating them. */
  reuseScaleNamespace?: string | undefined;
  /** Operators started by a section, stopped on failure too. */
  operators: Set<Operator>;
  /** Their logs: removed after a run that succeeded, kept after one that failed. */
  logFiles: string[];
}

/** A long pod: it runs past the end of the bench, so nothing completes while a section measures. */
const longPod = '2h';

async function startOperator(ctx: Context, namespace: string, extra: { args?: string[]; cpuProfileDir?: string } = {}): Promise<Operator> {
  const op = await Operator.start({ kubeconfig: ctx.plane.kubeconfig, namespace, qps: ctx.qps, burst: ctx.burst, ...extra });
  ctx.operators.add(op);
  ctx.logFiles.push(op.logFile);
  return op;
}

async function stopOperator(ctx: Context, op: Operator): Promise<void> {
  await op.stop();
  ctx.operators.delete(op);
}

/**
 * Waits until the cluster has finished its own work on the section's Jobs (the job
 * controller's pods, scheduling, kwok's status updates): every Job ready or done.
 * Sections that follow then start on a quiet control plane.
 */
async function settle(ctx: Context, jobs: JobTracker, expected: number): Promise<number> {
  const started = Date.now();
  const ok = await jobs.until(() => jobs.jobs.size >= expected && [...jobs.jobs.values()].every((j) => j.ready), 240_000);
  if (!ok) ctx.say(`  (the cluster did not settle in 240 s: ${[...jobs.jobs.values()].filter((j) => j.ready).length}/${expected} Jobs ready; going on)`);
  await sleep(1000);
  return (Date.now() - started) / 1000;
}

// ---------------------------------------------------------------------------
// 1 + 2. Baseline and throughput

export interface ThroughputPhase {
  runs: number;
  /** Seconds from the first create sent to the last run's status.startTime. */
  seconds: number;
  runsPerSec: number;
  /** Creates per second the bench achieved meanwhile. */
  createsPerSec: number;
  /** Per run: seconds since the first create, and create response → admitted (status.startTime) in ms. */
  latency: [number, number][];
  latencyP50Ms: number;
  latencyP99Ms: number;
  settleSeconds: number;
  /** Runs admitted so far against seconds since the first create (every 1/200th of the runs). */
  cumulative: [number, number][];
}

export interface ThroughputResult {
  baseline: ThroughputPhase & { writesPerSec: number; writesPerRun: number; writerCpuSeconds: number };
  sluice: ThroughputPhase & { writesPerAdmittedRun: number; writesByKind: Record<string, number>; admitted: number; cpuSeconds: number; apiLatencyMeanMs: Record<string, number>; eventsWrittenSecondsAfterLastAdmission: number; eventsDropped: number };
  ratio: number;
}

function runSpecs(n: number, groups: number, prefix = 'r'): RunSpec[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}`, input: { group: `g${i % groups}`, i } }));
}

async function throughputPhase(ctx: Context, kind: 'baseline' | 'sluice'): Promise<{ phase: ThroughputPhase; extra: Record<string, unknown> }> {
  const { runs: n, groups } = { runs: ctx.sizes.throughputRuns, groups: ctx.sizes.throughputGroups };
  const namespace = await freshNamespace(ctx.c, kind === 'baseline' ? 'bench-base' : 'bench-tput');
  await createWorkflow(ctx.c, namespace, 'tput', {
    concurrency: [{ expression: 'input.group', maxRuns: Math.max(100, 2 * Math.ceil(n / groups)) }],
    template: jobTemplate(longPod),
  });
  const runs = new RunTracker(ctx.c, namespace);
  const jobs = new JobTracker(ctx.c, namespace);
  await Promise.all([runs.start(), jobs.start()]);

  let op: Operator | undefined;
  let writerDone: Promise<{ done: number; writes: number; failures: number; watchRestarts: number; cpuSeconds: number }> | undefined;
  if (kind === 'sluice') {
    op = await startOperator(ctx, namespace, ctx.cpuProfileDir ? { cpuProfileDir: ctx.cpuProfileDir } : {});
    await op.ready();
  } else {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./baseline-writer.ts', import.meta.url)), ctx.plane.kubeconfig, namespace, 'tput', String(ctx.qps), String(ctx.burst), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((r) => (ready = r));
    writerDone = new Promise((resolveDone, reject) => {
      lines.on('line', (line) => {
        if (line === 'ready') ready();
        else if (line.startsWith('{')) resolveDone(JSON.parse(line) as { done: number; writes: number; failures: number; watchRestarts: number; cpuSeconds: number });
      });
      child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the baseline writer exited with ${code}`))));
    });
    writerDone.catch(() => undefined);
    await Promise.race([isReady, writerDone]);
  }
  const cpuBefore = op ? await cpuSecondsOf(op) : 0;

  const t0 = wallMs();
  const created = await createRuns(ctx.c, namespace, 'tput', runSpecs(n, groups), ctx.createConcurrency);
  const createdAt = wallMs();
  const allStarted = await runs.until(() => runs.started >= n, 600_000);
  if (!allStarted) throw new Error(`${kind}: only ${runs.started} of ${n} runs admitted after 10 minutes`);

  const extra: Record<string, unknown> = {};
  if (op) {
    // Events and the Workflow's status go after every admission write: count the
    // writes once they have landed, and say how long after the last admission.
    const { m, lastWriteAt } = await quiet(op);
    extra['eventsWrittenSecondsAfterLastAdmission'] = round((lastWriteAt - Math.max(...[...runs.runs.values()].map((r) => r.startTime ?? 0))) / 1000, 1);
    extra['eventsDropped'] = m.eventsDropped;
    const w = writes(m);
    extra['writesPerAdmittedRun'] = round(w.total / m.admitted, 2);
    extra['writesByKind'] = Object.fromEntries(Object.entries(w.byKind).map(([k, v]) => [k, round(v / m.admitted, 3)]));
    extra['admitted'] = m.admitted;
    extra['apiLatencyMeanMs'] = Object.fromEntries([...m.latency].filter(([, [, n]]) => n > 0).map(([k, [sum, n]]) => [k, round((1000 * sum) / n, 1)]));
    extra['cpuSeconds'] = round((await cpuSecondsOf(op)) - cpuBefore, 1);
    await stopOperator(ctx, op);
  } else {
    const summary = await (writerDone as Promise<{ done: number; writes: number; failures: number; watchRestarts: number; cpuSeconds: number }>);
    extra['writerWrites'] = summary.writes;
    extra['cpuSeconds'] = round(summary.cpuSeconds, 1);
    ctx.say(`  baseline writer: ${JSON.stringify(summary)}`);
  }

  const latency = created.map((c: Created): [number, number] => {
    const r = runs.runs.get(c.name);
    return [(c.sentAt - t0) / 1000, (r?.startTime ?? Number.NaN) - c.createdAt];
  });
  const starts = [...runs.runs.values()].map((r) => r.startTime ?? 0).sort((a, b) => a - b);
  const lastStart = starts[starts.length - 1] ?? 0;
  const every = Math.max(1, Math.floor(n / 200));
  const cumulative = starts.flatMap((at, i): [number, number][] => ((i + 1) % every === 0 || i === starts.length - 1 ? [[(at - t0) / 1000, i + 1]] : []));
  const seconds = (lastStart - t0) / 1000;
  runs.stop();
  ctx.say(`  ${kind}: ${n} runs admitted in ${seconds.toFixed(1)} s; settling`);
  const settleSeconds = await settle(ctx, jobs, n);
  jobs.stop();
  const lat = latency.map((l) => l[1]);
  return {
    phase: {
      runs: n,
      seconds: round(seconds, 2),
      runsPerSec: round(n / seconds, 1),
      createsPerSec: round(n / ((createdAt - t0) / 1000), 1),
      latency,
      latencyP50Ms: round(percentile(lat, 50)),
      latencyP99Ms: round(percentile(lat, 99)),
      settleSeconds: round(settleSeconds, 1),
      cumulative: [[0, 0], ...cumulative],
    },
    extra,
  };
}

/** The operator's metrics once its writes have stopped for two seconds (at most two minutes), and when the last one was seen. */
async function quiet(op: Operator): Promise<{ m: Metrics; lastWriteAt: number }> {
  const deadline = Date.now() + 120_000;
  let last = await op.metrics();
  let lastWriteAt = wallMs();
  while (wallMs() - lastWriteAt < 2000 && Date.now() < deadline) {
    await sleep(250);
    const m = await op.metrics();
    if (writes(m).total !== writes(last).total) lastWriteAt = wallMs();
    last = m;
  }
  return { m: last, lastWriteAt };
}

async function cpuSecondsOf(op: Operator): Promise<number> {
  const text = await (await fetch(op.metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  const match = /^process_cpu_seconds_total ([0-9.eE+-]+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

export async function throughput(ctx: Context): Promise<ThroughputResult> {
  ctx.say(`baseline: ${ctx.sizes.throughputRuns} runs, a plain writer (Job create + status patch per run, QPS ${ctx.qps}, burst ${ctx.burst})`);
  const base = await throughputPhase(ctx, 'baseline');
  ctx.say(`throughput: ${ctx.sizes.throughputRuns} runs over ${ctx.sizes.throughputGroups} groups, the operator`);
  const tput = await throughputPhase(ctx, 'sluice');
  const writesPerRun = 3;
  return {
    baseline: { ...base.phase, writesPerRun, writesPerSec: round(base.phase.runsPerSec * writesPerRun, 1), writerCpuSeconds: base.extra['cpuSeconds'] as number },
    sluice: {
      ...tput.phase,
      writesPerAdmittedRun: tput.extra['writesPerAdmittedRun'] as number,
      writesByKind: tput.extra['writesByKind'] as Record<string, number>,
      admitted: tput.extra['admitted'] as number,
      cpuSeconds: tput.extra['cpuSeconds'] as number,
      apiLatencyMeanMs: tput.extra['apiLatencyMeanMs'] as Record<string, number>,
      eventsWrittenSecondsAfterLastAdmission: tput.extra['eventsWrittenSecondsAfterLastAdmission'] as number,
      eventsDropped: tput.extra['eventsDropped'] as number,
    },
    ratio: round(tput.phase.runsPerSec / base.phase.runsPerSec, 3),
  };
}

// ---------------------------------------------------------------------------
// 3. Idle latency

export interface IdleResult {
  runs: number;
  p50: number;
  p99: number;
  max: number;
  /** Per run (in order): create response → Job ADDED, ms. */
  samples: number[];
}

export async function idle(ctx: Context): Promise<IdleResult> {
  const n = ctx.sizes.idleRuns;
  ctx.say(`idle latency: ${n} runs one at a time`);
  const namespace = await freshNamespace(ctx.c, 'bench-idle');
  await createWorkflow(ctx.c, namespace, 'idle', { template: jobTemplate(longPod) });
  const runs = new RunTracker(ctx.c, namespace);
  const jobs = new JobTracker(ctx.c, namespace);
  await Promise.all([runs.start(), jobs.start()]);
  const op = await startOperator(ctx, namespace);
  await op.ready();
  const warmUp = 10;
  const samples: number[] = [];
  for (let i = 0; i < n + warmUp; i++) {
    const name = `idle-${i}`;
    const [created] = await createRuns(ctx.c, namespace, 'idle', [{ name, input: { i } }], 1);
    const job = await Promise.race([jobs.jobOf(name), sleep(30_000).then(() => undefined)]);
    if (!job || !created) throw new Error(`idle: no Job for ${name} after 30 s`);
    if (i >= warmUp) samples.push(job.addedAt - created.createdAt);
    // Idle: the operator has finished with this run (its status is written) before the next.
    await runs.until(() => runs.runs.get(name)?.phase === 'Running', 30_000);
    await sleep(20);
  }
  runs.stop();
  await stopOperator(ctx, op);
  await settle(ctx, jobs, n + warmUp);
  jobs.stop();
  return { runs: n, p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), max: round(Math.max(...samples)), samples: samples.map((s) => round(s, 2)) };
}

// ---------------------------------------------------------------------------
// 4. Slot handoff

export interface HandoffResult {
  runs: number;
  measured: number;
  p50: number;
  p99: number;
  max: number;
  podDuration: string;
  /** Seconds per cycle (Job ADDED to the next Job ADDED), median. */
  cycleP50Seconds: number;
  samples: number[];
}

export async function handoff(ctx: Context): Promise<HandoffResult> {
  const n = ctx.sizes.handoffRuns;
  const podDuration = '100ms';
  ctx.say(`slot handoff: ${n} runs in one group of maxRuns 1, pods of ${podDuration}`);
  const namespace = await freshNamespace(ctx.c, 'bench-handoff');
  await createWorkflow(ctx.c, namespace, 'handoff', { concurrency: [{ maxRuns: 1 }], template: jobTemplate(podDuration) });
  const runs = new RunTracker(ctx.c, namespace);
  const jobs = new JobTracker(ctx.c, namespace);
  await Promise.all([runs.start(), jobs.start()]);
  const op = await startOperator(ctx, namespace);
  await op.ready();
  const specs = Array.from({ length: n }, (_, i) => ({ name: `h-${String(i).padStart(4, '0')}`, input: { i } }));
  await createRuns(ctx.c, namespace, 'handoff', specs, ctx.createConcurrency);
  // Handoffs are counted once every run carries its first status (the Queued burst is over).
  await runs.until(() => runs.withStatus >= n, 120_000);
  const quietFrom = wallMs();
  const done = await jobs.until(() => jobs.jobs.size >= n && [...jobs.jobs.values()].every((j) => j.finishedAt !== undefined), Math.max(120_000, n * 5_000));
  if (!done) throw new Error(`handoff: only ${[...jobs.jobs.values()].filter((j) => j.finishedAt !== undefined).length} of ${n} Jobs finished`);
  runs.stop();
  jobs.stop();
  await stopOperator(ctx, op);
  const ordered = [...jobs.jobs.values()].sort((a, b) => a.addedAt - b.addedAt);
  const samples: number[] = [];
  const cycles: number[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const previous = ordered[i - 1];
    const current = ordered[i];
    if (!previous || !current) continue;
    cycles.push((current.addedAt - previous.addedAt) / 1000);
    if (previous.finishedAt === undefined || previous.finishedAt < quietFrom) continue;
    samples.push(current.addedAt - previous.finishedAt);
  }
  return {
    runs: n, measured: samples.length, p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), max: round(Math.max(...samples)),
    podDuration, cycleP50Seconds: round(percentile(cycles, 50), 2), samples: samples.map((s) => round(s, 2)),
  };
}

// ---------------------------------------------------------------------------
// 5. Scale

export interface ScaleResult {
  runs: number;
  groups: number;
  createSeconds: number;
  /** Once synced (the first sample with /readyz 200). */
  rssMB: number;
  heapMB: number;
  /** The most while admitting the first runs, in the window after sync. */
  rssPeakMB: number;
  heapPeakMB: number;
  syncSeconds: number;
  firstAdmissionSeconds: number;
  admittedInWindow: number;
  windowSeconds: number;
  jobs: number;
  duplicateJobs: number;
}

export async function scale(ctx: Context): Promise<ScaleResult> {
  const { scaleRuns: n, scaleGroups: groups, scaleWindowMs } = ctx.sizes;
  ctx.say(`scale: ${n} runs over ${groups} groups stored, then the operator starts`);
  let namespace = ctx.reuseScaleNamespace;
  const t0 = Date.now();
  if (!namespace) {
    namespace = await freshNamespace(ctx.c, 'bench-scale');
    await createWorkflow(ctx.c, namespace, 'scale', { concurrency: [{ expression: 'input.group', maxRuns: 1 }], template: jobTemplate(longPod) });
    await createRuns(ctx.c, namespace, 'scale', runSpecs(n, groups, 's'), Math.max(ctx.createConcurrency, 100), (done) => ctx.say(`  created ${done}`));
  }
  const createSeconds = (Date.now() - t0) / 1000;
  ctx.say(`  ${n} runs created in ${createSeconds.toFixed(1)} s; starting the operator`);
  const jobs = new JobTracker(ctx.c, namespace);
  await jobs.start();
  await sleep(2000);

  const op = await startOperator(ctx, namespace);
  const samples: { at: number; rss: number; heap: number; ready: boolean }[] = [];
  let readyAt: number | undefined;
  let firstJobAt: number | undefined;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (op.process.exitCode !== null) throw new Error(`scale: the operator exited: ${op.logTail()}`);
    const ready = (await fetch(`${op.healthUrl}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200;
    const m = await op.metrics().catch(() => undefined);
    if (m) samples.push({ at: wallMs(), rss: m.rssBytes, heap: m.heapUsedBytes, ready });
    if (ready && readyAt === undefined) readyAt = wallMs();
    if (firstJobAt === undefined && jobs.jobs.size > 0) firstJobAt = Math.min(...[...jobs.jobs.values()].map((j) => j.addedAt));
    if (firstJobAt !== undefined && readyAt !== undefined && wallMs() - Math.max(firstJobAt, readyAt) > scaleWindowMs) break;
    await sleep(500);
  }
  const windowEnd = wallMs();
  const admittedInWindow = jobs.jobs.size;
  const perSecond = new Map<number, number>();
  for (const j of jobs.jobs.values()) {
    const second = Math.floor((j.addedAt - op.spawnedAt) / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  ctx.say(`  Jobs created per second since the start: ${[...perSecond].sort((a, b) => a[0] - b[0]).map(([sec, k]) => `${sec}s:${k}`).join(' ')}`);
  await stopOperator(ctx, op);
  jobs.stop();
  if (firstJobAt === undefined || readyAt === undefined) throw new Error(`scale: no admission within 300 s (log: ${op.logFile})`);
  const synced = op.logs().find((l) => l['msg'] === 'caches synced');
  // The log's time is Date.now() in the operator: compared with the spawn time on the same clock.
  const loggedAt = synced ? new Date(synced['time'] as string | number).getTime() : Number.NaN;
  const syncSeconds = Number.isFinite(loggedAt) ? (loggedAt - op.spawnedAtDate) / 1000 : (readyAt - op.spawnedAt) / 1000;
  const afterSync = samples.filter((s) => s.ready);
  const mb = (b: number) => round(b / 2 ** 20, 1);
  const all = await listJobs(ctx.c, namespace);
  const perRun = new Map<string, number>();
  for (const j of all) perRun.set(j.ownerUid || j.run, (perRun.get(j.ownerUid || j.run) ?? 0) + 1);
  return {
    runs: n,
    groups,
    createSeconds: round(createSeconds, 1),
    rssMB: mb(afterSync[0]?.rss ?? Number.NaN),
    heapMB: mb(afterSync[0]?.heap ?? Number.NaN),
    rssPeakMB: mb(Math.max(...afterSync.map((s) => s.rss))),
    heapPeakMB: mb(Math.max(...afterSync.map((s) => s.heap))),
    syncSeconds: round(syncSeconds, 2),
    firstAdmissionSeconds: round((firstJobAt - op.spawnedAt) / 1000, 2),
    admittedInWindow,
    windowSeconds: round((windowEnd - op.spawnedAt) / 1000, 1),
    jobs: all.length,
    duplicateJobs: [...perRun.values()].filter((k) => k > 1).length,
  };
}

// ---------------------------------------------------------------------------
// 6. Fairness

export interface FairnessResult {
  bigRuns: number;
  smallGroups: number;
  smallRunsPerGroup: number;
  maxConcurrentRuns: number;
  podDuration: string;
  smallGroupWaitP50Ms: number;
  smallGroupWaitMaxMs: number;
  bigGroupWaitP50Ms: number;
  /** Known only when every big run started (the section stops once the median is known). */
  bigGroupWaitMaxMs: number | null;
  admittedAtStop: number;
  seconds: number;
  /** Per group: name and each run's wait (queuedAt → startTime), ms. */
  waits: { group: string; waits: number[] }[];
}

export async function fairness(ctx: Context): Promise<FairnessResult> {
  const { fairnessBigRuns: big, fairnessSmallGroups: smallGroups, fairnessSmallRuns: small } = ctx.sizes;
  const maxConcurrentRuns = 10;
  const podDuration = '100ms';
  ctx.say(`fairness: --max-concurrent-runs ${maxConcurrentRuns}; one group of ${big} runs, then ${smallGroups} groups of ${small}; pods of ${podDuration}`);
  const namespace = await freshNamespace(ctx.c, 'bench-fair');
  await createWorkflow(ctx.c, namespace, 'fair', { concurrency: [{ expression: 'input.group', maxRuns: maxConcurrentRuns }], template: jobTemplate(podDuration) });
  const runs = new RunTracker(ctx.c, namespace);
  await runs.start();
  const op = await startOperator(ctx, namespace, { args: [`--max-concurrent-runs=${maxConcurrentRuns}`] });
  await op.ready();
  const t0 = Date.now();
  const bigSpecs = Array.from({ length: big }, (_, i) => ({ name: `big-${i}`, input: { group: 'big', i } }));
  const smallSpecs = Array.from({ length: smallGroups * small }, (_, i) => ({ name: `small-${i % smallGroups}-${Math.floor(i / smallGroups)}`, input: { group: `small-${i % smallGroups}`, i } }));
  await createRuns(ctx.c, namespace, 'fair', bigSpecs, ctx.createConcurrency);
  await createRuns(ctx.c, namespace, 'fair', smallSpecs, ctx.createConcurrency);
  const total = big + smallGroups * small;
  // The big group's median is known before its last run starts: big runs start in
  // order, and a run not started yet will wait at least as long as it has so far.
  // So stop once every small run has started and the median, counting the big runs
  // not started as waiting forever, is at most what each of them has waited already.
  const k = Math.ceil(big / 2);
  let bigP50: number | undefined;
  const medianSettled = (): boolean => {
    const now = wallMs();
    const waits: number[] = [];
    let smallPending = 0;
    let floor = Number.POSITIVE_INFINITY;
    for (const r of runs.runs.values()) {
      const isBig = r.input?.['group'] === 'big';
      if (r.startTime === undefined) {
        if (!isBig) smallPending += 1;
        else floor = Math.min(floor, now - (r.queuedAt ?? now));
      } else if (isBig) waits.push(r.startTime - (r.queuedAt ?? Number.NaN));
    }
    if (smallPending > 0 || runs.runs.size < total || waits.length < k) return false;
    waits.sort((a, b) => a - b);
    const median = waits[k - 1] as number;
    if (floor < median) return false;
    bigP50 = median;
    return true;
  };
  let last = 0;
  const ok = await runs.until(() => {
    if (runs.started - last >= 250) {
      last = runs.started;
      ctx.say(`  ${runs.started}/${total} admitted`);
    }
    return runs.started >= total || medianSettled();
  }, Math.max(600_000, total * 2_000));
  if (!ok) throw new Error(`fairness: only ${runs.started} of ${total} runs admitted`);
  const admittedAtStop = runs.started;
  const seconds = (Date.now() - t0) / 1000;
  runs.stop();
  await stopOperator(ctx, op);
  const byGroup = new Map<string, number[]>();
  for (const r of runs.runs.values()) {
    const g = String(r.input?.['group'] ?? '?');
    if (r.startTime === undefined) continue;
    const list = byGroup.get(g) ?? [];
    list.push((r.startTime ?? Number.NaN) - (r.queuedAt ?? Number.NaN));
    byGroup.set(g, list);
  }
  const bigWaits = (byGroup.get('big') ?? []).filter((w) => Number.isFinite(w));
  const smallWaits = [...byGroup].filter(([g]) => g !== 'big').flatMap(([, w]) => w);
  const smallOrder = Array.from({ length: smallGroups }, (_, i) => `small-${i}`);
  return {
    bigRuns: big, smallGroups, smallRunsPerGroup: small, maxConcurrentRuns, podDuration,
    smallGroupWaitP50Ms: round(percentile(smallWaits, 50)),
    smallGroupWaitMaxMs: round(Math.max(...smallWaits)),
    bigGroupWaitP50Ms: round(bigP50 ?? percentile(bigWaits, 50)),
    bigGroupWaitMaxMs: admittedAtStop >= total ? round(Math.max(...bigWaits)) : null,
    admittedAtStop,
    seconds: round(seconds, 1),
    waits: [{ group: 'big', waits: bigWaits.map((w) => round(w)) }, ...smallOrder.map((g) => ({ group: g, waits: (byGroup.get(g) ?? []).map((w) => round(w)) }))],
  };
}
