// The operator as a real process (`node src/main.ts`), the way a user runs it,
// scoped to one namespace, with its /metrics scraped and its JSON log kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/cluster/control-plane.ts';
import { sleep, wallMs } from './kube.ts';

export interface OperatorOptions {
  kubeconfig: string;
  namespace: string;
  qps: number;
  burst: number;
  args?: string[];
  /** Write a V8 CPU profile into this directory when the operator exits. */
  cpuProfileDir?: string;
}

export interface Metrics {
  /** sluice_kubernetes_requests_total by "verb resource". */
  requests: Map<string, number>;
  /** sluice_kubernetes_request_duration_seconds by "verb resource": [sum, count]. */
  latency: Map<string, [number, number]>;
  admitted: number;
  eventsDropped: number;
  rssBytes: number;
  heapUsedBytes: number;
}

const readVerbs = new Set(['get', 'list', 'watch']);

export class Operator {
  readonly process: ChildProcess;
  readonly metricsUrl: string;
  readonly healthUrl: string;
  readonly logFile: string;
  /** Wall ms when the process was spawned (performance clock, and Date.now() for log times). */
  readonly spawnedAt: number;
  readonly spawnedAtDate: number;
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess, metricsUrl: string, healthUrl: string, logFile: string, spawnedAt: number, spawnedAtDate: number) {
    this.process = child;
    this.metricsUrl = metricsUrl;
    this.healthUrl = healthUrl;
    this.logFile = logFile;
    this.spawnedAt = spawnedAt;
    this.spawnedAtDate = spawnedAtDate;
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static async start(o: OperatorOptions): Promise<Operator> {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const logFile = join(mkdtempSync(join(tmpdir(), 'sluice-bench-operator-')), 'operator.log');
    const fd = openSync(logFile, 'a');
    const nodeArgs = o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`] : [];
    const spawnedAt = wallMs();
    const spawnedAtDate = Date.now();
    const child = spawn(
      process.execPath,
      [...nodeArgs, fileURLToPath(new URL('../../src/main.ts', import.meta.url)), `--kubeconfig=${o.kubeconfig}`, `--namespace=${o.namespace}`,
        `--metrics-bind-address=127.0.0.1:${metricsPort}`, `--health-probe-bind-address=127.0.0.1:${healthPort}`, '--log-level=info', ...(o.args ?? [])],
      { stdio: ['ignore', fd, fd], env: { ...process.env, NODE_OPTIONS: imageNodeOptions(), SLUICE_KUBE_API_QPS: String(o.qps), SLUICE_KUBE_API_BURST: String(o.burst) } },
    );
    closeSync(fd);
    return new Operator(child, `http://127.0.0.1:${metricsPort}/metrics`, `http://127.0.0.1:${healthPort}`, logFile, spawnedAt, spawnedAtDate);
  }

  /** Waits until /readyz answers 200 (caches synced). */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.process.exitCode !== null) throw new Error(`the operator exited with ${this.process.exitCode}: ${this.logTail()}`);
      const res = await fetch(`${this.healthUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`the operator was not ready after ${timeoutMs} ms (log: ${this.logFile})`);
      await sleep(50);
    }
  }

  logs(): Record<string, unknown>[] {
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  logTail(): string {
    return readFileSync(this.logFile, 'utf8').slice(-2000);
  }

  async metrics(): Promise<Metrics> {
    const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(10_000) });
    return parseMetrics(await res.text());
  }

  /** SIGTERM (the CPU profile is written on the way out), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function parseMetrics(text: string): Metrics {
  const m: Metrics = { requests: new Map(), latency: new Map(), admitted: 0, eventsDropped: 0, rssBytes: 0, heapUsedBytes: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z_:]+)(?:\{([^}]*)\})? ([0-9.eE+-]+|NaN)/.exec(line);
    if (!match) continue;
    const [, name, labelText = '', valueText = '0'] = match;
    const value = Number(valueText);
    const labels = Object.fromEntries([...labelText.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (name === 'sluice_kubernetes_requests_total') {
      const key = `${labels['verb']} ${labels['resource']}`;
      m.requests.set(key, (m.requests.get(key) ?? 0) + value);
    } else if (name === 'sluice_kubernetes_request_duration_seconds_sum' || name === 'sluice_kubernetes_request_duration_seconds_count') {
      const key = `${labels['verb']} ${labels['resource']}`;
      const entry = m.latency.get(key) ?? [0, 0];
      entry[name.endsWith('_sum') ? 0 : 1] += value;
      m.latency.set(key, entry);
    } else if (name === 'sluice_runs_admitted_total') m.admitted += value;
    else if (name === 'sluice_events_dropped_total') m.eventsDropped = value;
    else if (name === 'process_resident_memory_bytes') m.rssBytes = value;
    else if (name === 'nodejs_heap_size_used_bytes') m.heapUsedBytes = value;
  }
  return m;
}

/** Writes (every verb but get, list and watch) by "verb resource", and their sum. */
export function writes(m: Metrics): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const [key, n] of m.requests) {
    if (readVerbs.has(key.split(' ')[0] ?? '')) continue;
    byKind[key] = n;
    total += n;
  }
  return { total, byKind };
}

/** The Node options the image runs the operator with (the Dockerfile's ENV NODE_OPTIONS), so the bench measures what ships. */
function imageNodeOptions(): string {
  const match = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
  if (!match) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return match[1] as string;
}
