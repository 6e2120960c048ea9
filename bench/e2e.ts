// npm run bench:e2e — sluice end to end on a real control plane (its own, started
// in a temporary directory and stopped at the end, also on failure or Ctrl-C).
//
// Sections (each in namespaces of its own, with an operator of its own):
//   throughput  1. the baseline: a plain writer (bench/e2e/baseline-writer.ts) makes
//                  only the writes every run needs — the client's create, a Job, one
//                  status patch — with the operator's client and QPS; then
//               2. sluice: the same runs, the operator admits them. Ratio of runs/s.
//   idle        3. create → Job ADDED, one run at a time.
//   handoff     4. one group of maxRuns 1: Job finished → next Job ADDED.
//   fairness    6. --max-concurrent-runs 10, one big group and many small ones.
//   scale       5. 50,000 stored runs, then a cold start: sync, first admission, memory.
// Prints a table, writes bench/results/e2e.json and bench/results/e2e-*.svg.
//
// Flags: --only=throughput,idle,...  --quick (reduced sizes, noted in the JSON)
//        --qps=N --burst=N (the operator's and the baseline writer's; default 500/1000)
//        --kubeconfig=PATH (use a running cluster with the CRDs installed; for development)
//        --profile (CPU profile of the operator in the throughput section: top self time)
//        --no-write (print only)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchClients, installCrds, openPlane, type Plane } from './e2e/kube.ts';
import { figure, percentile, round, type Panel } from './e2e/plot.ts';
import {
  fairness, fullSizes, handoff, idle, quickSizes, scale, throughput,
  type Context, type FairnessResult, type HandoffResult, type IdleResult, type ScaleResult, type ThroughputResult,
} from './e2e/sections.ts';
import type { Operator } from './e2e/operator.ts';

const allSections = ['throughput', 'idle', 'handoff', 'fairness', 'scale'] as const;
type Section = (typeof allSections)[number];

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    qps: { type: 'string', default: '500' },
    burst: { type: 'string', default: '1000' },
    kubeconfig: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '64' },
    'reuse-scale-namespace': { type: 'string' },
  },
});

const aliases: Record<string, Section> = { baseline: 'throughput' };
const sections: Section[] = flags.only
  ? flags.only.split(',').map((s) => {
      const name = aliases[s.trim()] ?? (s.trim() as Section);
      if (!allSections.includes(name)) throw new Error(`unknown section ${s}; sections: ${allSections.join(', ')}`);
      return name;
    })
  : [...allSections];
const reduced = flags.quick || sections.length < allSections.length;
const say = (line: string) => console.error(`[e2e] ${line}`);
const qps = Number(flags.qps);
const burst = Number(flags.burst);

function machine() {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => round(l, 2)),
    shared: 'other processes (integration tests) may run on the same cores; figures are relative to a baseline measured in the same run',
  };
}

const operators = new Set<Operator>();
const logFiles: string[] = [];
let plane: Plane | undefined;

let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const op of operators) await op.stop().catch(() => undefined);
    await plane?.stop();
  })();
  return cleaning;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping the operator and the control plane`);
    void cleanUp().finally(() => process.exit(130));
  });
}

interface Results {
  throughput?: ThroughputResult;
  idle?: IdleResult;
  handoff?: HandoffResult;
  fairness?: FairnessResult;
  scale?: ScaleResult;
  profile?: ProfileSummary;
}

async function main(): Promise<void> {
  const machineAtStart = machine();
  const startedAt = Date.now();
  const sizes = flags.quick ? quickSizes : fullSizes;
  const profileDir = flags.profile ? mkdtempSync(join(tmpdir(), 'sluice-bench-profile-')) : undefined;
  plane = await openPlane(flags.kubeconfig, say);
  installCrds(plane);
  const ctx: Context = {
    plane, c: benchClients(plane.kubeconfig), qps, burst, sizes, createConcurrency: Number(flags.concurrency), say, cpuProfileDir: profileDir, operators,
    reuseScaleNamespace: flags['reuse-scale-namespace'],
    logFiles,
  };
  const results: Results = {};
  for (const section of allSections) {
    if (!sections.includes(section)) continue;
    const started = Date.now();
    if (section === 'throughput') results.throughput = await throughput(ctx);
    if (section === 'idle') results.idle = await idle(ctx);
    if (section === 'handoff') results.handoff = await handoff(ctx);
    if (section === 'fairness') results.fairness = await fairness(ctx);
    if (section === 'scale') results.scale = await scale(ctx);
    say(`${section} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  if (profileDir && results.throughput) results.profile = summarizeProfile(profileDir);
  await cleanUp();
  for (const file of logFiles) rmSync(dirname(file), { recursive: true, force: true });

  const json = toJson(results, { ...machineAtStart, loadAverageAtEnd: loadavg().map((l) => round(l, 2)) }, sizes, (Date.now() - startedAt) / 1000);
  printTable(results);
  if (results.profile) printProfile(results.profile);
  if (!flags['no-write']) {
    const dir = new URL('./results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL('e2e.json', dir), `${JSON.stringify(json, null, 2)}\n`);
    const latency = latencyFigure(results);
    if (latency) writeFileSync(new URL('e2e-admission-latency.svg', dir), latency);
    if (results.fairness) writeFileSync(new URL('e2e-fairness-waits.svg', dir), fairnessFigure(results.fairness));
    say('wrote bench/results/e2e.json and the SVG figures');
  }
}

function gitRevision(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function toJson(r: Results, machineInfo: Record<string, unknown>, sizes: typeof fullSizes, seconds: number) {
  const t = r.throughput;
  const omit = <T extends object>(o: T | undefined, keys: string[]) => (o ? Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k))) : null);
  return {
    baselineRunsPerSec: t?.baseline.runsPerSec ?? null,
    baselineWritesPerSec: t?.baseline.writesPerSec ?? null,
    writesPerAdmittedRun: t?.sluice.writesPerAdmittedRun ?? null,
    admittedRunsPerSec: t?.sluice.runsPerSec ?? null,
    throughputRatio: t?.ratio ?? null,
    idleLatencyMs: r.idle ? { p50: r.idle.p50, p99: r.idle.p99 } : null,
    handoffLatencyMs: r.handoff ? { p50: r.handoff.p50, p99: r.handoff.p99 } : null,
    scale: r.scale
      ? {
          runs: r.scale.runs, groups: r.scale.groups, rssMB: r.scale.rssMB, heapMB: r.scale.heapMB, syncSeconds: r.scale.syncSeconds,
          firstAdmissionSeconds: r.scale.firstAdmissionSeconds, duplicateJobs: r.scale.duplicateJobs,
        }
      : null,
    fairness: r.fairness
      ? { smallGroupWaitP50Ms: r.fairness.smallGroupWaitP50Ms, smallGroupWaitMaxMs: r.fairness.smallGroupWaitMaxMs, bigGroupWaitP50Ms: r.fairness.bigGroupWaitP50Ms }
      : null,
    machine: machineInfo,
    run: {
      reduced,
      sections,
      sizes,
      seconds: round(seconds, 0),
      revision: gitRevision(),
      settings: { kubeApiQps: qps, kubeApiBurst: burst, benchCreateConcurrency: Number(flags.concurrency), logLevel: 'info' },
    },
    targets: { throughputRatio: '>= 0.9', idleLatencyMs: 'p50 <= 20, p99 <= 100', handoffLatencyMs: 'p99 <= 100', scale: 'rssMB (once synced) <= 300, firstAdmissionSeconds <= 15, duplicateJobs = 0' },
    details: {
      baseline: omit(t?.baseline, ['latency', 'cumulative']),
      throughput: omit(t?.sluice, ['latency', 'cumulative']),
      idle: omit(r.idle, ['samples']),
      handoff: omit(r.handoff, ['samples']),
      scale: r.scale ?? null,
      fairness: omit(r.fairness, ['waits']),
      profileTopSelfTime: r.profile?.top.slice(0, 15) ?? null,
    },
  };
}

function printTable(r: Results): void {
  const rows: [string, string, string][] = [];
  const fmt = (x: number | undefined, unit = '') => (x === undefined || Number.isNaN(x) ? '-' : `${x}${unit}`);
  const t = r.throughput;
  if (t) {
    rows.push(['baseline (plain writer)', `${fmt(t.baseline.runsPerSec)} runs/s, ${fmt(t.baseline.writesPerSec)} writes/s`, 'the limit']);
    rows.push(['sluice throughput', `${fmt(t.sluice.runsPerSec)} runs/s (ratio ${fmt(t.ratio)})`, 'ratio >= 0.9']);
    rows.push(['  create → admitted p50/p99', `baseline ${fmt(t.baseline.latencyP50Ms)}/${fmt(t.baseline.latencyP99Ms)} ms, sluice ${fmt(t.sluice.latencyP50Ms)}/${fmt(t.sluice.latencyP99Ms)} ms`, '']);
    rows.push(['sluice writes per admitted run', `${fmt(t.sluice.writesPerAdmittedRun)} (${Object.entries(t.sluice.writesByKind).map(([k, v]) => `${k} ${v}`).join(', ')})`, 'baseline 2 + the client create']);
    rows.push(['  Events (after the admissions)', `all written ${fmt(t.sluice.eventsWrittenSecondsAfterLastAdmission)} s after the last admission, ${t.sluice.eventsDropped} dropped`, '']);
    rows.push(['CPU for the runs (operator / baseline writer)', `${fmt(t.sluice.cpuSeconds)} s / ${fmt(t.baseline.writerCpuSeconds)} s for ${t.sluice.admitted} runs`, '']);
  }
  if (r.idle) rows.push(['idle latency (create → Job ADDED)', `p50 ${r.idle.p50} ms, p99 ${r.idle.p99} ms (max ${r.idle.max})`, 'p50 <= 20, p99 <= 100']);
  if (r.handoff) rows.push(['slot handoff (finished → next ADDED)', `p50 ${r.handoff.p50} ms, p99 ${r.handoff.p99} ms (max ${r.handoff.max}, n=${r.handoff.measured})`, 'p99 <= 100']);
  if (r.scale) {
    const s = r.scale;
    rows.push([`scale: ${s.runs} runs / ${s.groups} groups`, `once synced RSS ${s.rssMB} MB, heap ${s.heapMB} MB; admitting the first runs at most ${s.rssPeakMB} / ${s.heapPeakMB} MB`, 'RSS <= 300 MB after sync']);
    rows.push(['  cold start → synced / first admission', `${s.syncSeconds} s / ${s.firstAdmissionSeconds} s`, 'first admission <= 15 s']);
    rows.push(['  duplicate Jobs', `${s.duplicateJobs} (of ${s.jobs} Jobs)`, '0']);
  }
  if (r.fairness) {
    const f = r.fairness;
    rows.push(['fairness: small groups wait p50 / max', `${f.smallGroupWaitP50Ms} / ${f.smallGroupWaitMaxMs} ms`, 'small << big']);
    rows.push(['fairness: big group wait p50 / max', `${f.bigGroupWaitP50Ms} / ${f.bigGroupWaitMaxMs ?? '(not all started)'} ms (${f.admittedAtStop} runs started in ${f.seconds} s)`, '']);
  }
  const header: [string, string, string] = ['measure', 'result', 'target'];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  if (reduced) console.log('(reduced run: --quick or --only; not the full-size figures)');
}

// ---------------------------------------------------------------------------
// Figures

function latencyFigure(r: Results): string | undefined {
  const panels: Panel[] = [];
  const t = r.throughput;
  if (t) {
    panels.push({
      title: `Throughput: ${t.sluice.runs} runs created at once — create → admitted (status.startTime), per run`,
      xLabel: 'seconds since the first create was sent', yLabel: 'ms (log)', logY: true,
      series: [
        { name: `baseline writer (${t.baseline.runsPerSec} runs/s)`, color: '#999', points: t.baseline.latency.filter((p) => p[1] > 0) },
        { name: `sluice (${t.sluice.runsPerSec} runs/s)`, color: '#1f6fd1', points: t.sluice.latency.filter((p) => p[1] > 0) },
      ],
    });
  }
  if (t) {
    panels.push({
      title: 'Throughput: runs admitted so far (status.startTime)',
      xLabel: 'seconds since the first create was sent', yLabel: 'runs admitted',
      series: [
        { name: `baseline writer (${t.baseline.runsPerSec} runs/s)`, color: '#999', points: t.baseline.cumulative, line: true },
        { name: `sluice (${t.sluice.runsPerSec} runs/s)`, color: '#1f6fd1', points: t.sluice.cumulative, line: true },
      ],
    });
  }
  if (r.idle) {
    panels.push({
      title: `Idle: one run at a time — create response → Job ADDED (p50 ${r.idle.p50} ms, p99 ${r.idle.p99} ms)`,
      xLabel: 'run', yLabel: 'ms',
      series: [{ name: 'latency', color: '#1f6fd1', points: r.idle.samples.map((s, i) => [i, s]), radius: 2 }],
      marks: [{ y: 20, label: 'p50 target 20 ms', color: '#2a2' }, { y: 100, label: 'p99 target 100 ms', color: '#d33' }],
    });
  }
  if (r.handoff) {
    panels.push({
      title: `Slot handoff, maxRuns 1: Job finished → next Job ADDED (p50 ${r.handoff.p50} ms, p99 ${r.handoff.p99} ms)`,
      xLabel: 'handoff', yLabel: 'ms',
      series: [{ name: 'latency', color: '#1f6fd1', points: r.handoff.samples.map((s, i) => [i, s]), radius: 2 }],
      marks: [{ y: 100, label: 'p99 target 100 ms', color: '#d33' }],
    });
  }
  return panels.length > 0 ? figure('sluice end to end: admission latency', panels) : undefined;
}

function fairnessFigure(f: FairnessResult): string {
  const categories = f.waits.map((g) => g.group);
  const points: [number, number][] = [];
  f.waits.forEach((g, i) => {
    for (const w of g.waits) points.push([i + (Math.random() - 0.5) * 0.5, w / 1000]);
  });
  // The big group's p50 counts the runs not started when the section stopped (they wait longer).
  const medians: [number, number][] = f.waits.map((g, i) => [i, (g.group === 'big' ? f.bigGroupWaitP50Ms : percentile(g.waits, 50)) / 1000]);
  return figure(`Fairness: --max-concurrent-runs ${f.maxConcurrentRuns}, ${f.bigRuns} runs in one group created first, then ${f.smallGroups} groups of ${f.smallRunsPerGroup}`, [
    {
      title: `Wait (queuedAt → startTime) per run, by group: small p50 ${f.smallGroupWaitP50Ms} ms, max ${f.smallGroupWaitMaxMs} ms; big p50 ${f.bigGroupWaitP50Ms} ms`,
      xLabel: f.admittedAtStop < f.bigRuns + f.smallGroups * f.smallRunsPerGroup ? `group (big: the ${f.admittedAtStop - f.smallGroups * f.smallRunsPerGroup} runs started by the time its median was known)` : 'group',
      yLabel: 'wait, s', categories,
      series: [
        { name: 'one run', color: '#1f6fd1', points, radius: 1.5 },
        { name: 'group p50', color: '#d33', points: medians, radius: 3.5 },
      ],
    },
  ]);
}

// ---------------------------------------------------------------------------
// CPU profile

interface ProfileSummary {
  file: string;
  totalMs: number;
  top: { fn: string; where: string; selfMs: number; selfPct: number }[];
  byArea: { area: string; selfPct: number }[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] ?? url;
  const s = /\/(src\/[^/]+)\//.exec(url);
  return s ? (s[1] ?? url) : url;
}

function summarizeProfile(dir: string): ProfileSummary {
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))[0];
  if (!file) throw new Error(`no CPU profile in ${dir}`);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const perFn = new Map<string, { fn: string; where: string; us: number }>();
  const perArea = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url ? `${url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const entry = perFn.get(key) ?? { fn, where, us: 0 };
    entry.us += us;
    perFn.set(key, entry);
    const area = areaOf(url, fn);
    perArea.set(area, (perArea.get(area) ?? 0) + us);
    total += us;
  }
  const top = [...perFn.values()].sort((a, b) => b.us - a.us).slice(0, 25).map((e) => ({ fn: e.fn, where: e.where, selfMs: round(e.us / 1000, 0), selfPct: round((100 * e.us) / total, 1) }));
  const byArea = [...perArea].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([area, us]) => ({ area, selfPct: round((100 * us) / total, 1) }));
  return { file, totalMs: round(total / 1000, 0), top, byArea };
}

function printProfile(p: ProfileSummary): void {
  console.log(`\nOperator CPU profile (throughput section), ${p.totalMs} ms sampled: ${p.file}`);
  console.log('self time by area:', p.byArea.map((a) => `${a.area} ${a.selfPct}%`).join(', '));
  console.log('top self time:');
  for (const e of p.top) console.log(`  ${String(e.selfPct).padStart(5)}%  ${String(e.selfMs).padStart(6)} ms  ${e.fn}  ${e.where}`);
}

main().catch(async (err: unknown) => {
  say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await cleanUp().catch(() => undefined);
  process.exit(1);
});
