// The bench's side of the cluster: its own control plane (or one given with
// --kubeconfig), the CRDs, a fast client of its own, namespaces, bulk creation,
// and watches that timestamp what they see.
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMicroTime } from '../../src/api/time.ts';
import { ensureBinaries } from '../../test/cluster/build.ts';
import { startControlPlane, stopControlPlane } from '../../test/cluster/control-plane.ts';

export const group = 'sluice.dev';
export const version = 'v1alpha1';

/** Wall-clock milliseconds with sub-millisecond precision (the same clock as the operator's status times). */
export const wallMs = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Plane {
  kubeconfig: string;
  kubectl: string;
  stop: () => Promise<void>;
}

/** Starts a control plane of the bench's own in a temporary directory, or uses the one of `kubeconfig`. */
export async function openPlane(kubeconfig: string | undefined, say: (line: string) => void): Promise<Plane> {
  const binaries = await ensureBinaries((line) => say(`[cluster] ${line}`));
  const kubectl = binaries['kubectl'];
  if (!kubectl) throw new Error('no kubectl binary');
  if (kubeconfig) return { kubeconfig: resolve(kubeconfig), kubectl, stop: async () => undefined };
  // Not the test prefix (sluice-test-): `cluster:down` sweeps those, and another
  // engineer's sweep must not stop a bench that runs.
  const stateDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  // One stop, however many callers (a signal while a failure cleans up): each waits for it.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopControlPlane(stateDir).then(() => undefined));
  try {
    const plane = await startControlPlane({ stateDir, binaries, ownerPid: process.pid, progress: (line) => say(`[cluster] ${line}`) });
    return { kubeconfig: plane.kubeconfig, kubectl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function installCrds(plane: Plane): void {
  const crds = fileURLToPath(new URL('../../crds', import.meta.url));
  execFileSync(plane.kubectl, ['--kubeconfig', plane.kubeconfig, 'apply', '--server-side', '-f', crds], { stdio: 'pipe' });
  execFileSync(plane.kubectl, ['--kubeconfig', plane.kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', '-f', crds], { stdio: 'pipe' });
}

export interface Clients {
  kubeconfig: k8s.KubeConfig;
  custom: k8s.CustomObjectsApi;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
}

/**
 * The bench's own client (the "users" that create runs, and the observers). It
 * keeps its connections: @kubernetes/client-node 2.0 builds a new undici Agent,
 * hence a new TLS connection, for every request, which would make the bench's
 * creates slow and CPU-hungry on both sides. The same in every section.
 */
export function benchClients(path: string): Clients {
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromFile(path);
  const internals = kubeconfig as unknown as { createDispatcher: (cluster: unknown, options: unknown) => unknown };
  const create = internals.createDispatcher.bind(kubeconfig);
  let dispatcher: unknown;
  internals.createDispatcher = (cluster, options) => (dispatcher ??= create(cluster, options));
  return {
    kubeconfig,
    custom: kubeconfig.makeApiClient(k8s.CustomObjectsApi),
    core: kubeconfig.makeApiClient(k8s.CoreV1Api),
    batch: kubeconfig.makeApiClient(k8s.BatchV1Api),
  };
}

let namespaces = 0;
export async function freshNamespace(c: Clients, prefix: string): Promise<string> {
  namespaces += 1;
  const name = `${prefix}-${process.pid}-${namespaces}`;
  await c.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** A Job template whose pod runs `duration` on the fake node. */
export function jobTemplate(duration: string): Record<string, unknown> {
  return {
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sluice.dev/fake-duration': duration } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] },
      },
    },
  };
}

export async function createWorkflow(c: Clients, namespace: string, name: string, spec: Record<string, unknown>): Promise<unknown> {
  return c.custom.createNamespacedCustomObject({
    group, version, namespace, plural: 'workflows',
    body: { apiVersion: `${group}/${version}`, kind: 'Workflow', metadata: { name }, spec },
  });
}

export interface RunSpec {
  name: string;
  input: Record<string, unknown>;
}

export interface Created {
  name: string;
  /** Wall ms when the create was sent and when its response came back. */
  sentAt: number;
  createdAt: number;
}

/**
 * Creates the runs with `concurrency` requests in flight, in order of the list
 * (each worker takes the next). Retries a failed create (429, 5xx, a dropped
 * connection) after a short pause; an AlreadyExists after a retry counts as made.
 */
export async function createRuns(c: Clients, namespace: string, workflow: string, runs: readonly RunSpec[], concurrency: number, progress?: (done: number) => void): Promise<Created[]> {
  const out: Created[] = new Array(runs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const run = runs[i];
      if (!run) return;
      const sentAt = wallMs();
      for (let attempt = 0; ; attempt++) {
        try {
          await c.custom.createNamespacedCustomObject({
            group, version, namespace, plural: 'workflowruns',
            body: { apiVersion: `${group}/${version}`, kind: 'WorkflowRun', metadata: { name: run.name }, spec: { workflowRef: { name: workflow }, input: run.input } },
          });
          break;
        } catch (err) {
          if (attempt > 0 && err instanceof k8s.ApiException && err.code === 409) break;
          if (attempt >= 20) throw err;
          await sleep(100 * (attempt + 1));
        }
      }
      out[i] = { name: run.name, sentAt, createdAt: wallMs() };
      done += 1;
      if (progress && done % 1000 === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

interface Meta {
  name: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  ownerReferences?: { uid: string; name: string; controller?: boolean }[];
  deletionTimestamp?: string;
}

/**
 * A watch that keeps going: it starts from the current resource version (so it
 * sees only what happens from now on) and resumes after the client's inactivity
 * timeout or a server-side close. Every event is passed with its arrival time.
 */
export class Watcher<T extends { metadata: Meta }> {
  private abort: AbortController | undefined;
  private stopped = false;
  private rv = '';
  private readonly path: string;
  private readonly c: Clients;
  private readonly onEvent: (type: string, obj: T, at: number) => void;

  constructor(c: Clients, path: string, onEvent: (type: string, obj: T, at: number) => void) {
    this.c = c;
    this.path = path;
    this.onEvent = onEvent;
  }

  async start(): Promise<void> {
    const list = (await this.rawList(this.path)) as { metadata?: { resourceVersion?: string } };
    this.rv = list.metadata?.resourceVersion ?? '';
    await this.watch();
  }

  private async rawList(path: string): Promise<unknown> {
    // The generic client serves any group: parse /apis/<group>/<version>/namespaces/<ns>/<plural>.
    const m = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) throw new Error(`cannot list ${path}`);
    const [, g = '', v = '', namespace = '', plural = ''] = m;
    return this.c.custom.listNamespacedCustomObject({ group: g, version: v, namespace, plural, limit: 1 });
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const watch = new k8s.Watch(this.c.kubeconfig);
    // The client aborts a watch after 30 s without an event; a bench phase can be quieter.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 3_600_000;
    this.abort = await watch.watch(
      this.path,
      { resourceVersion: this.rv, allowWatchBookmarks: true },
      (type: string, obj: T) => {
        const at = wallMs();
        if (obj?.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.onEvent(type, obj, at);
      },
      (err: unknown) => {
        if (this.stopped) return;
        const code = (err as { statusCode?: number; code?: number } | null)?.statusCode;
        if (code === 410) {
          process.stderr.write(`watch ${this.path}: resource version too old; events may be missed\n`);
          this.rv = '';
        }
        setTimeout(() => void this.watch(), 100);
      },
    );
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}

export interface JobObject {
  metadata: Meta;
  status?: { ready?: number; active?: number; conditions?: { type: string; status: string }[] };
}

export interface JobRecord {
  name: string;
  run: string;
  ownerUid: string;
  /** Wall ms of the ADDED event. */
  addedAt: number;
  /** Wall ms of the first event that showed it Complete or Failed. */
  finishedAt: number | undefined;
  ready: boolean;
}

/** Every Job of a namespace as the bench's watch sees it, with waiters on a run's Job. */
/** Something fed by watch events that a bench can wait on. */
/** What one watch of a namespace has seen, for a section to wait on. */
abstract class Tracker<T extends { metadata: Meta }> {
  protected changed: (() => void) | undefined;
  private readonly watcher: Watcher<T>;

  constructor(c: Clients, path: string) {
    this.watcher = new Watcher<T>(c, path, (type, obj, at) => this.event(type, obj, at));
  }

  start(): Promise<void> {
    return this.watcher.start();
  }

  stop(): void {
    this.watcher.stop();
  }

  protected abstract event(type: string, obj: T, at: number): void;

  /** Waits until `check` holds (checked on every event and every 500 ms), or the deadline. */
  async until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.changed = () => {
          clearTimeout(timer);
          this.changed = undefined;
          resolve();
        };
      });
    }
    return true;
  }
}

export class JobTracker extends Tracker<JobObject> {
  readonly jobs = new Map<string, JobRecord>();
  private readonly waiters = new Map<string, (r: JobRecord) => void>();

  constructor(c: Clients, namespace: string) {
    super(c, `/apis/batch/v1/namespaces/${namespace}/jobs`);
  }

  protected event(type: string, job: JobObject, at: number): void {
    if (type === 'DELETED') return;
    const name = job.metadata.name;
    let record = this.jobs.get(name);
    if (!record) {
      const owner = job.metadata.ownerReferences?.find((o) => o.controller);
      record = { name, run: owner?.name ?? job.metadata.labels?.['sluice.dev/workflow-run'] ?? '', ownerUid: owner?.uid ?? '', addedAt: at, finishedAt: undefined, ready: false };
      this.jobs.set(name, record);
      const waiter = this.waiters.get(record.run);
      if (waiter) {
        this.waiters.delete(record.run);
        waiter(record);
      }
    }
    const finished = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (finished && record.finishedAt === undefined) record.finishedAt = at;
    if ((job.status?.ready ?? 0) >= 1 || finished) record.ready = true;
    this.changed?.();
  }

  /** Resolves with the run's Job record when its ADDED event arrives (at once if it has). */
  jobOf(run: string): Promise<JobRecord> {
    for (const r of this.jobs.values()) if (r.run === run) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(run, resolve));
  }
}

export interface RunObject {
  metadata: Meta & { uid?: string };
  spec?: { input?: Record<string, unknown> };
  status?: { phase?: string; queuedAt?: string; startTime?: string; completionTime?: string };
}

export interface RunRecord {
  name: string;
  phase: string | undefined;
  /** Wall ms, from the status (microsecond times written by whoever admitted the run). */
  queuedAt: number | undefined;
  startTime: number | undefined;
  /** Wall ms of the first event that carried a status. */
  statusSeenAt: number | undefined;
  input: Record<string, unknown> | undefined;
}

function microsToMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const micros = parseMicroTime(text);
  return micros === undefined ? Date.parse(text) : micros / 1000;
}

/** Every run of a namespace as the bench's watch sees it. */
export class RunTracker extends Tracker<RunObject> {
  readonly runs = new Map<string, RunRecord>();
  started = 0;
  withStatus = 0;

  constructor(c: Clients, namespace: string) {
    super(c, `/apis/${group}/${version}/namespaces/${namespace}/workflowruns`);
  }

  protected event(type: string, run: RunObject, at: number): void {
    if (type === 'DELETED') return;
    const name = run.metadata.name;
    let record = this.runs.get(name);
    if (!record) {
      record = { name, phase: undefined, queuedAt: undefined, startTime: undefined, statusSeenAt: undefined, input: run.spec?.input };
      this.runs.set(name, record);
    }
    const status = run.status;
    if (status?.phase) {
      if (record.statusSeenAt === undefined) {
        record.statusSeenAt = at;
        this.withStatus += 1;
      }
      record.phase = status.phase;
    }
    if (status?.queuedAt && record.queuedAt === undefined) record.queuedAt = microsToMs(status.queuedAt);
    if (status?.startTime && record.startTime === undefined) {
      record.startTime = microsToMs(status.startTime);
      this.started += 1;
    }
    this.changed?.();
  }

}

/** Every Job of the namespace, listed in pages (for the duplicate count). */
export async function listJobs(c: Clients, namespace: string): Promise<{ name: string; ownerUid: string; run: string }[]> {
  const out: { name: string; ownerUid: string; run: string }[] = [];
  let token: string | undefined;
  do {
    const page = await c.batch.listNamespacedJob({ namespace, limit: 1000, _continue: token });
    for (const job of page.items) {
      const owner = job.metadata?.ownerReferences?.find((o) => o.controller);
      out.push({ name: job.metadata?.name ?? '', ownerUid: owner?.uid ?? '', run: owner?.name ?? '' });
    }
    token = page.metadata?._continue || undefined;
  } while (token);
  return out;
}
