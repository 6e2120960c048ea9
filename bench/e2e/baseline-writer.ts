// The baseline's stand-in for an operator: a plain script that makes, for every
// WorkflowRun it sees, only the writes any implementation must make — create the
// run's Job, then patch the run's status once (merge patch on /status) — as fast
// as it can. No decision logic: no CEL, no engine, no queue, no Events.
//
// Run by bench/e2e.ts as its own process, like the operator, and with the same
// client as the operator: @kubernetes/client-node through sluice's ClusterApi
// (loadKubeConfig, the same token-bucket rate limiter, the same QPS and burst),
// and the same Job (jobForRun) and status patch (statusPatch) bodies.
//
//   node bench/e2e/baseline-writer.ts KUBECONFIG NAMESPACE WORKFLOW QPS BURST COUNT
// Prints "ready" once its watch runs, and a JSON summary line when COUNT runs are done.
import { Watch } from '@kubernetes/client-node';
import { jobForRun, type Workflow, type WorkflowRun } from '../../src/api/index.ts';
import { nowMicros } from '../../src/controller/clock.ts';
import { statusPatch } from '../../src/controller/run-status.ts';
import { ClusterApi, errorCode, resources } from '../../src/kubernetes/cluster-api.ts';
import { loadKubeConfig } from '../../src/kubernetes/kubeconfig.ts';

const [kubeconfigPath = '', namespace = '', workflowName = '', qpsText = '', burstText = '', countText = ''] = process.argv.slice(2);
const count = Number(countText);
const kubeconfig = loadKubeConfig(kubeconfigPath);
let writes = 0;
let failures = 0;
const api = new ClusterApi(kubeconfig, {
  qps: Number(qpsText),
  burst: Number(burstText),
  observe: (r) => {
    if (r.verb !== 'get' && r.verb !== 'list') writes += 1;
    if (r.code >= 400 || r.code === 0) failures += 1;
  },
});

async function withRetry<T>(call: () => Promise<T>, okCodes: number[] = []): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (okCodes.includes(errorCode(err) ?? -1)) return undefined;
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 5)));
    }
  }
}

const workflow = await api.get<Workflow>(resources.workflows, namespace, workflowName);
if (!workflow) throw new Error(`no Workflow ${namespace}/${workflowName}`);
const start = await api.list<WorkflowRun>(resources.workflowRuns, namespace, { limit: 1 });

const seen = new Set<string>();
let done = 0;

async function admit(run: WorkflowRun, seenAt: number): Promise<void> {
  const group = (run.spec.input as { group?: unknown } | undefined)?.group;
  const keys = group === undefined ? [] : [{ expression: 'input.group', key: String(group) }];
  const job = jobForRun(workflow as Workflow, run, keys);
  await withRetry(() => api.create(resources.jobs, namespace, () => job), [409]);
  const patch = statusPatch(run, {
    phase: 'Running', reason: 'Admitted', message: `Admitted: Job ${job.metadata.name} created`,
    concurrencyKeys: keys, queuedAt: seenAt, startTime: nowMicros(), jobName: job.metadata.name,
  }, nowMicros());
  if (patch) await withRetry(() => api.patchStatus(resources.workflowRuns, namespace, run.metadata.name, patch));
  done += 1;
  if (done === count) {
    const cpu = process.cpuUsage(cpuAtReady);
    process.stdout.write(`${JSON.stringify({ done, writes, failures, watchRestarts: restarts, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
    process.exit(0);
  }
}

// A watch that ends (the server closes it now and then) resumes from the last event seen.
let resourceVersion = start.resourceVersion;
let restarts = 0;
async function watchRuns(): Promise<void> {
  const watch = new Watch(kubeconfig);
  (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 3_600_000;
  await watch.watch(
    api.watchPath(resources.workflowRuns, namespace),
    { resourceVersion, allowWatchBookmarks: true },
    (type: string, run: WorkflowRun) => {
      resourceVersion = run.metadata.resourceVersion ?? resourceVersion;
      if (type !== 'ADDED' || seen.has(run.metadata.name)) return;
      seen.add(run.metadata.name);
      admit(run, nowMicros()).catch((err: unknown) => {
        process.stderr.write(`baseline writer: ${String(err)}\n`);
        process.exit(1);
      });
    },
    (err: unknown) => {
      if (done >= count) return;
      restarts += 1;
      if (restarts > 100) {
        process.stderr.write(`baseline writer: the watch keeps ending: ${String(err)}\n`);
        process.exit(1);
      }
      setTimeout(() => void watchRuns(), 50);
    },
  );
}
await watchRuns();
const cpuAtReady = process.cpuUsage();
process.stdout.write('ready\n');
