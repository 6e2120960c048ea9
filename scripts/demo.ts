// npm run demo: the live demo. Uses the cluster of --kubeconfig (or $KUBECONFIG)
// if given, else starts the local control plane; installs the CRDs; runs the
// operator; applies every example in examples/; shows live how runs move between
// Queued, Running, Succeeded, Cancelled and Failed per group; prints a summary;
// and removes what it started.
import * as k8s from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries } from '../test/cluster/build.ts';
import { freePort, startControlPlane, stopControlPlane } from '../test/cluster/control-plane.ts';
import { ClusterError } from '../test/cluster/errors.ts';

const { values: flags } = parseArgs({
  options: { kubeconfig: { type: 'string' }, 'max-concurrent-runs': { type: 'string', default: '0' }, timeout: { type: 'string', default: '300' } },
});
const namespace = 'sluice-demo';
const group = 'sluice.dev';
const version = 'v1alpha1';
const say = (line: string) => console.log(`[demo] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  metadata: { name: string };
  spec: { workflowRef: { name: string } };
  status?: { phase?: string; reason?: string; concurrencyKeys?: { expression: string; key: string }[] };
}

// CRDs go through CustomObjectsApi as raw JSON: the typed ApiextensionsV1Api
// serializes its own field names and would drop x-kubernetes-* keys of the schema.
async function applyCrds(kc: k8s.KubeConfig): Promise<void> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const crdResource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
  for (const file of readdirSync('crds').filter((f) => f.endsWith('.yaml'))) {
    const crd = parseAllDocuments(readFileSync(join('crds', file), 'utf8'))[0]?.toJS() as { metadata: { name: string } };
    const name = crd.metadata.name;
    const existing = (await custom.getClusterCustomObject({ ...crdResource, name }).catch(() => undefined)) as { metadata: { resourceVersion: string } } | undefined;
    if (existing) await custom.replaceClusterCustomObject({ ...crdResource, name, body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion } } });
    else await custom.createClusterCustomObject({ ...crdResource, body: crd });
    for (;;) {
      const got = (await custom.getClusterCustomObject({ ...crdResource, name })) as { status?: { conditions?: { type: string; status: string }[] } };
      if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      await sleep(200);
    }
    say(`installed CRD ${name}`);
  }
}

async function applyExamples(kc: k8s.KubeConfig): Promise<number> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let runs = 0;
  const dirs = readdirSync('examples', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const file of ['workflow.yaml', 'runs.yaml']) {
    for (const dir of dirs) {
      const path = join('examples', dir, file);
      if (!existsSync(path)) continue;
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const obj = doc.toJS() as { kind?: string; metadata: Record<string, unknown> } | null;
        if (!obj?.kind) continue;
        await custom.createNamespacedCustomObject({
          group, version, namespace, plural: obj.kind === 'Workflow' ? 'workflows' : 'workflowruns',
          body: { ...obj, metadata: { ...obj.metadata, namespace } },
        });
        if (obj.kind === 'WorkflowRun') runs += 1;
      }
      say(`applied ${path}`);
    }
  }
  return runs;
}

const phases = ['Pending', 'Queued', 'Running', 'Succeeded', 'Cancelled', 'Failed'] as const;

function groupOf(run: Run): string {
  const keys = run.status?.concurrencyKeys ?? [];
  return `${run.spec.workflowRef.name} ${keys.length > 0 ? keys.map((k) => k.key).join('+') : '-'}`;
}

function table(runs: Run[]): string {
  const rows = new Map<string, Record<string, number>>();
  for (const run of runs) {
    const row = rows.get(groupOf(run)) ?? Object.fromEntries(phases.map((p) => [p, 0]));
    row[run.status?.phase ?? 'Pending'] = (row[run.status?.phase ?? 'Pending'] ?? 0) + 1;
    rows.set(groupOf(run), row);
  }
  const header = `${'WORKFLOW GROUP'.padEnd(40)}${phases.map((p) => p.toUpperCase().padStart(11)).join('')}`;
  const lines = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([g, row]) => `${g.slice(0, 39).padEnd(40)}${phases.map((p) => String(row[p] ?? 0).padStart(11)).join('')}`);
  return [header, ...lines].join('\n');
}

function startOperator(kubeconfig: string, metricsPort: number, healthPort: number): { child: ChildProcess; log: string } {
  const log = join(mkdtempSync(join(tmpdir(), 'sluice-demo-')), 'operator.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [resolve('src/main.ts'), `--kubeconfig=${kubeconfig}`, `--namespace=${namespace}`,
    `--max-concurrent-runs=${flags['max-concurrent-runs']}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`, `--health-probe-bind-address=127.0.0.1:${healthPort}`],
  { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return { child, log };
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  try {
    let kubeconfig = flags.kubeconfig ?? process.env['KUBECONFIG'];
    if (kubeconfig) {
      say(`using the cluster of ${kubeconfig}`);
    } else {
      const binaries = await ensureBinaries((line) => say(line));
      const stateDir = mkdtempSync(join(tmpdir(), 'sluice-demo-cluster-'));
      const plane = await startControlPlane({ stateDir, binaries, ownerPid: process.pid, progress: (line) => say(line) });
      cleanups.push(async () => {
        await stopControlPlane(stateDir);
        say('stopped the local control plane');
      });
      kubeconfig = plane.kubeconfig;
    }
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    await applyCrds(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    cleanups.push(async () => {
      await core.deleteNamespace({ name: namespace });
      say(`deleted namespace ${namespace}`);
    });

    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const operator = startOperator(kubeconfig, metricsPort, healthPort);
    cleanups.push(async () => {
      operator.child.kill('SIGTERM');
      await new Promise((r) => operator.child.once('exit', r));
      say(`stopped the operator (its log: ${operator.log})`);
    });
    for (;;) {
      if (operator.child.exitCode !== null) throw new ClusterError(`the operator exited (${operator.child.exitCode}); log: ${operator.log}\n${readFileSync(operator.log, 'utf8').slice(-2000)}`);
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      await sleep(200);
    }
    say(`operator running; metrics at http://127.0.0.1:${metricsPort}/metrics, log at ${operator.log}`);

    const total = await applyExamples(kc);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const deadline = Date.now() + Number(flags.timeout) * 1000;
    let runs: Run[] = [];
    let previous = '';
    while (Date.now() < deadline) {
      runs = ((await custom.listNamespacedCustomObject({ group, version, namespace, plural: 'workflowruns' })) as { items: Run[] }).items;
      const view = table(runs);
      if (view !== previous) {
        if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        console.log(`sluice demo — ${total} runs in namespace ${namespace} (kubectl get swfr -n ${namespace})\n\n${view}\n`);
        previous = view;
      }
      if (runs.length === total && runs.every((r) => ['Succeeded', 'Cancelled', 'Failed'].includes(r.status?.phase ?? ''))) break;
      await sleep(500);
    }
    const byReason = new Map<string, number>();
    for (const run of runs) byReason.set(`${run.status?.phase ?? 'Pending'}/${run.status?.reason ?? '-'}`, (byReason.get(`${run.status?.phase ?? 'Pending'}/${run.status?.reason ?? '-'}`) ?? 0) + 1);
    console.log('\nSummary (phase/reason: runs)');
    for (const [reason, n] of [...byReason].sort()) console.log(`  ${reason.padEnd(40)} ${n}`);
    await cleanUp();
  } catch (err) {
    await cleanUp();
    if (err instanceof ClusterError) {
      console.error(`[demo] ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

await main();
