// The chart on a real control plane: `helm install` works, the hardened pod passes
// the restricted Pod Security level, and the RBAC it grants is enough — the operator
// runs with a token of the chart's ServiceAccount, not as admin, and admits runs end
// to end — and no more than enough, as `kubectl auth can-i` reports. Both scopes:
// cluster-wide (a ClusterRole) and namespaced (watchNamespaces, a Role in each).
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, eventually, freshNamespace, isNotFound } from './support/cluster.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { groupsFromAnnotation, jobTemplate, JobWatcher, Sluice, type Run } from './support/sluice.ts';

const c = clients();
const adminKubeconfig = inject('kubeconfig');
const binaries = inject('clusterBinaries');
const scratch = mkdtempSync(join(tmpdir(), 'sluice-helm-'));

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function command(binary: string, args: string[]): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(binary, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function helm(args: string[]): Promise<string> {
  const result = await command(binaries['helm'] ?? 'helm', [...args, `--kubeconfig=${adminKubeconfig}`]);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function kubectl(args: string[]): Promise<CommandResult> {
  return command(binaries['kubectl'] ?? 'kubectl', [...args, `--kubeconfig=${adminKubeconfig}`]);
}

/** A namespace that enforces the restricted Pod Security Standard. */
async function restrictedNamespace(prefix: string): Promise<string> {
  const namespace = await freshNamespace(c.core, prefix);
  const labelled = await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
  expect(labelled.code, labelled.stderr).toBe(0);
  return namespace;
}

interface Release {
  name: string;
  namespace: string;
  /** The chart's full name: its ServiceAccount, Roles and bindings are named so. */
  fullname: string;
}

async function install(name: string, namespace: string, values: Record<string, unknown>): Promise<Release> {
  const valuesPath = join(scratch, `${name}-values.json`);
  // kwok would "finish" the operator's pod after 1 s; keep it running, as a real one does.
  writeFileSync(valuesPath, JSON.stringify({ podAnnotations: { 'sluice.dev/fake-duration': '1h' }, ...values }));
  await helm(['install', name, 'charts/sluice', '--namespace', namespace, '--values', valuesPath, '--wait', '--timeout=2m']);
  return { name, namespace, fullname: `${name}-sluice` };
}

/** A kubeconfig that authenticates with a TokenRequest token of the release's ServiceAccount. */
async function serviceAccountKubeconfig(release: Release): Promise<string> {
  const request = await c.core.createNamespacedServiceAccountToken({
    name: release.fullname,
    namespace: release.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error('the TokenRequest returned no token');
  const cluster = c.kubeconfig.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no cluster');
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromOptions({
    clusters: [{ name: 'local', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: release.fullname, token }],
    contexts: [{ name: 'operator', cluster: 'local', user: release.fullname }],
    currentContext: 'operator',
  });
  const path = join(scratch, `${release.name}-kubeconfig`);
  writeFileSync(path, kubeconfig.exportConfig(), { mode: 0o600 });
  return path;
}

/** The operator process with the ServiceAccount's credentials and the flags the chart gives it. */
async function startAsServiceAccount(release: Release): Promise<Operator> {
  const deployment = await c.kubeconfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: release.fullname, namespace: release.namespace });
  const args = (deployment.spec?.template.spec?.containers[0]?.args ?? []).filter(
    // Listeners are startOperator's (free local ports), and its debug logs help when this fails.
    (arg) => !/^--(metrics-bind-address|health-probe-bind-address|log-level)=/.test(arg),
  );
  // In the pod, POD_NAMESPACE (set by the chart) puts the Lease in the release namespace.
  args.push(`--leader-election-namespace=${release.namespace}`);
  return startOperator(args, { kubeconfig: await serviceAccountKubeconfig(release) });
}

async function canI(release: Release, verb: string, resource: string, where: { namespace?: string; subresource?: string; allNamespaces?: boolean }): Promise<boolean> {
  const args = ['auth', 'can-i', verb, resource, `--as=system:serviceaccount:${release.namespace}:${release.fullname}`];
  if (where.subresource) args.push(`--subresource=${where.subresource}`);
  args.push(...(where.allNamespaces ? ['--all-namespaces'] : ['--namespace', where.namespace ?? 'default']));
  const result = await kubectl(args);
  const answer = result.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return answer === 'yes';
}

interface Check {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

const describeCheck = (k: Check) =>
  `${k.verb} ${k.resource}${k.subresource ? `/${k.subresource}` : ''} ${k.allNamespaces ? 'in every namespace' : `in ${k.namespace}`}`;

/** Every check whose answer is not `expected`, by description: [] when the RBAC is as intended. */
async function wrongAnswers(release: Release, checks: Check[], expected: boolean): Promise<string[]> {
  const wrong: string[] = [];
  for (const check of checks) {
    if ((await canI(release, check.verb, check.resource, check)) !== expected) wrong.push(describeCheck(check));
  }
  return wrong;
}

/** What the operator does in a namespace it manages. */
function operatorNeeds(namespace: string): Check[] {
  return [
    ...['list', 'watch'].flatMap((verb) => ['workflows.sluice.dev', 'workflowruns.sluice.dev'].map((resource) => ({ verb, resource, namespace }))),
    { verb: 'patch', resource: 'workflows.sluice.dev', subresource: 'status', namespace },
    { verb: 'patch', resource: 'workflowruns.sluice.dev', subresource: 'status', namespace },
    { verb: 'update', resource: 'workflowruns.sluice.dev', subresource: 'finalizers', namespace },
    ...['get', 'list', 'watch', 'create', 'delete'].map((verb) => ({ verb, resource: 'jobs.batch', namespace })),
    { verb: 'create', resource: 'events', namespace },
  ];
}

function leaseNeeds(release: Release): Check[] {
  return ['get', 'create', 'update'].map((verb) => ({ verb, resource: 'leases.coordination.k8s.io', namespace: release.namespace }));
}

/** What it must never do: change what users own, run arbitrary pods, read secrets, manage the cluster. */
function operatorMustNot(namespace: string, release: Release): Check[] {
  return [
    { verb: 'delete', resource: 'workflows.sluice.dev', namespace },
    { verb: 'create', resource: 'workflows.sluice.dev', namespace },
    { verb: 'update', resource: 'workflows.sluice.dev', namespace },
    { verb: 'update', resource: 'workflowruns.sluice.dev', namespace },
    { verb: 'patch', resource: 'workflowruns.sluice.dev', namespace },
    { verb: 'delete', resource: 'workflowruns.sluice.dev', namespace },
    { verb: 'update', resource: 'workflowruns.sluice.dev', subresource: 'status', namespace },
    { verb: 'patch', resource: 'jobs.batch', namespace },
    { verb: 'create', resource: 'pods', namespace },
    { verb: 'get', resource: 'secrets', namespace },
    { verb: 'list', resource: 'secrets', allNamespaces: true },
    { verb: 'delete', resource: 'namespaces', namespace },
    { verb: 'create', resource: 'clusterrolebindings.rbac.authorization.k8s.io', namespace },
    { verb: 'delete', resource: 'leases.coordination.k8s.io', namespace: release.namespace },
    { verb: 'get', resource: 'leases.coordination.k8s.io', namespace },
  ];
}

function byName(runs: Run[]): Map<string, Run> {
  return new Map(runs.map((r) => [r.metadata.name, r]));
}

async function eventReasons(s: Sluice, run: string): Promise<string[]> {
  return (await s.events(run)).filter((e) => e.source?.component === 'sluice').map((e) => e.reason ?? '');
}

async function metricsText(operator: Operator): Promise<string> {
  return (await fetch(operator.metricsUrl)).text();
}

/** Requests the API server refused for lack of permission, from the operator's own metrics. */
function forbiddenRequests(metrics: string): string[] {
  return metrics.split('\n').filter((line) => line.startsWith('sluice_kubernetes_requests_total{') && line.includes('code="403"'));
}

/**
 * The admission scenario of the issue: maxRuns 1 over input.group, three runs in one
 * group. Proves list/watch, Job create, status patches and Events all work.
 */
async function roundRobinScenario(s: Sluice): Promise<void> {
  const watcher = new JobWatcher(c.kubeconfig, s.namespace);
  await watcher.start();
  try {
    await s.createWorkflow('rr', { concurrency: [{ expression: 'input.group', maxRuns: 1, limitStrategy: 'GROUP_ROUND_ROBIN' }], template: jobTemplate('1s') });
    for (let i = 0; i < 3; i++) await s.createRun('rr', { group: 'a', n: i });
    const runs = byName(await s.waitForAllTerminal());
    expect([...runs.values()].map((r) => [r.status?.phase, r.status?.reason])).toEqual(Array(3).fill(['Succeeded', 'JobSucceeded']));
    expect(watcher.maxActive(groupsFromAnnotation).get('input.group=a')).toBe(1);
    expect(watcher.runsWithSeveralJobs()).toEqual([]);
    expect(watcher.jobCount).toBe(3);
    for (const run of runs.values()) {
      expect(run.status).toMatchObject({ concurrencyKeys: [{ expression: 'input.group', key: 'a' }], jobName: expect.any(String), startTime: expect.any(String), completionTime: expect.any(String) });
    }
    // Events are written best effort, after the status: wait for them.
    const reasons = await eventually('Admitted Events on every run', async () => {
      const all = await Promise.all([...runs.keys()].map((name) => eventReasons(s, name)));
      return all.every((r) => r.includes('Admitted')) ? all : undefined;
    });
    // With one slot and three runs created together, at least two had to wait.
    expect(reasons.filter((r) => r.includes('Queued')).length).toBeGreaterThanOrEqual(2);
    // The Workflow's status subresource is written too.
    const workflow = await eventually('the Workflow status to count 3 succeeded runs', async () => {
      const w = await s.workflow('rr');
      return w.status?.runs?.['succeeded'] === 3 ? w : undefined;
    });
    expect(workflow.status?.conditions?.find((cond) => cond.type === 'Ready')?.status).toBe('True');
  } finally {
    watcher.stop();
  }
}

describe('cluster-wide (default values)', () => {
  let release: Release;
  let operator: Operator | undefined;
  let work: string;

  beforeAll(async () => {
    release = await install('helm-cw', await restrictedNamespace('helm-cw'), {});
    work = await freshNamespace(c.core, 'helm-cw-work');
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it('helm install deploys the release, CRDs included, and the hardened pod passes the restricted Pod Security level', async () => {
    const status = JSON.parse(await helm(['status', release.name, '--namespace', release.namespace, '--output=json'])) as { info: { status: string } };
    expect(status.info.status).toBe('deployed');
    for (const crd of ['workflows.sluice.dev', 'workflowruns.sluice.dev']) {
      const found = await c.extensions.readCustomResourceDefinition({ name: crd });
      expect(found.status?.conditions?.some((cond) => cond.type === 'Established' && cond.status === 'True')).toBe(true);
    }
    const rbac = c.kubeconfig.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.readClusterRole({ name: release.fullname });
    await rbac.readClusterRoleBinding({ name: release.fullname });
    await rbac.readNamespacedRole({ name: `${release.fullname}-leader-election`, namespace: release.namespace });
    await c.core.readNamespacedServiceAccount({ name: release.fullname, namespace: release.namespace });
    await c.core.readNamespacedService({ name: `${release.fullname}-metrics`, namespace: release.namespace });
    const deployment = await c.kubeconfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: release.fullname, namespace: release.namespace });
    // --wait returned, so the Deployment is available: its pod was admitted in a restricted namespace.
    expect(deployment.status?.availableReplicas).toBe(1);
    const pods = await c.core.listNamespacedPod({ namespace: release.namespace, labelSelector: `app.kubernetes.io/instance=${release.name}` });
    expect(pods.items.map((p) => p.spec?.serviceAccountName)).toEqual([release.fullname]);
  });

  it("with only its ServiceAccount's token, the operator admits runs end to end", async () => {
    operator = await startAsServiceAccount(release);
    // Its credentials really are the ServiceAccount's: it cannot read a Secret.
    const asOperator = new k8s.KubeConfig();
    asOperator.loadFromFile(join(scratch, `${release.name}-kubeconfig`));
    const denied = await asOperator.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: work }).then(() => 200, (err: unknown) => (err as { code?: number }).code);
    expect(denied).toBe(403);

    await roundRobinScenario(new Sluice(c, work));

    const lease = await c.kubeconfig.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'sluice-leader', namespace: release.namespace });
    expect(lease.spec?.holderIdentity).toBeTruthy();
    expect(forbiddenRequests(await metricsText(operator))).toEqual([]);
  });

  it('CANCEL_IN_PROGRESS: it deletes the Job of the run it cancels', async () => {
    if (!operator) throw new Error('the operator of the previous test is not running');
    const s = new Sluice(c, await freshNamespace(c.core, 'helm-cw-cancel'));
    await s.createWorkflow('latest', { concurrency: [{ maxRuns: 1, limitStrategy: 'CANCEL_IN_PROGRESS' }], template: jobTemplate('1h') });
    const old = await s.createRun('latest', { n: 1 });
    const running = await s.waitForRun(old.metadata.name, 'Running');
    const newer = await s.createRun('latest', { n: 2 });
    await s.waitForRun(old.metadata.name, 'Cancelled', 'CancelledInProgress');
    await s.waitForRun(newer.metadata.name, 'Running');
    await eventually('the cancelled run\'s Job to be deleted', async () => {
      const job = await c.batch.readNamespacedJob({ name: running.status?.jobName ?? '', namespace: s.namespace }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      return job === undefined || job.metadata?.deletionTimestamp !== undefined || undefined;
    });
    expect(forbiddenRequests(await metricsText(operator))).toEqual([]);
    await s.deleteRun(newer.metadata.name);
  });

  it('kubectl auth can-i: the ServiceAccount may do what the operator does, everywhere, and nothing else', async () => {
    const elsewhere = await freshNamespace(c.core, 'helm-cw-other');
    const needs = [
      ...operatorNeeds(work),
      ...operatorNeeds(elsewhere),
      ...['list', 'watch'].map((verb) => ({ verb, resource: 'workflowruns.sluice.dev', allNamespaces: true })),
      { verb: 'list', resource: 'jobs.batch', allNamespaces: true },
      ...leaseNeeds(release),
    ];
    expect(await wrongAnswers(release, needs, true)).toEqual([]);
    expect(await wrongAnswers(release, operatorMustNot(work, release), false)).toEqual([]);
  });

  it('helm uninstall removes the release and its cluster-wide RBAC, and keeps the CRDs and the runs', async () => {
    await operator?.stop();
    operator = undefined;
    await helm(['uninstall', release.name, '--namespace', release.namespace, '--wait']);
    const rbac = c.kubeconfig.makeApiClient(k8s.RbacAuthorizationV1Api);
    for (const read of [() => rbac.readClusterRole({ name: release.fullname }), () => rbac.readClusterRoleBinding({ name: release.fullname })]) {
      await expect(read()).rejects.toSatisfy(isNotFound);
    }
    await c.extensions.readCustomResourceDefinition({ name: 'workflowruns.sluice.dev' });
    expect(await new Sluice(c, work).runs()).toHaveLength(3);
  });
});

describe('namespaced (watchNamespaces)', () => {
  let release: Release;
  let operator: Operator | undefined;
  let work: string;
  let unwatched: string;

  beforeAll(async () => {
    work = await freshNamespace(c.core, 'helm-ns-work');
    unwatched = await freshNamespace(c.core, 'helm-ns-unwatched');
    release = await install('helm-ns', await restrictedNamespace('helm-ns'), { watchNamespaces: [work] });
  });

  afterAll(async () => {
    await operator?.stop();
    if (release) await helm(['uninstall', release.name, '--namespace', release.namespace, '--wait']);
  });

  it('grants a Role in the watched namespace and binds no ClusterRole to the operator', async () => {
    const rbac = c.kubeconfig.makeApiClient(k8s.RbacAuthorizationV1Api);
    const role = await rbac.readNamespacedRole({ name: release.fullname, namespace: work });
    expect(role.rules?.flatMap((r) => r.resources ?? [])).toContain('workflowruns/status');
    const clusterBindings = await rbac.listClusterRoleBinding();
    const ours = clusterBindings.items.filter((b) =>
      b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === release.fullname && s.namespace === release.namespace),
    );
    expect(ours).toEqual([]);
  });

  it('the operator admits runs in its namespace with the Role alone, and leaves other namespaces alone', async () => {
    operator = await startAsServiceAccount(release);
    const outside = new Sluice(c, unwatched);
    await outside.createWorkflow('rr', { concurrency: [{ expression: 'input.group', maxRuns: 1 }], template: jobTemplate('1s') });
    const ignored = await outside.createRun('rr', { group: 'a' });

    await roundRobinScenario(new Sluice(c, work));

    // Everything in the watched namespace is done, and the run outside was never touched.
    expect((await outside.run(ignored.metadata.name)).status).toBeUndefined();
    expect(await outside.jobs()).toEqual([]);
    expect(forbiddenRequests(await metricsText(operator))).toEqual([]);
  });

  it('kubectl auth can-i: allowed in the watched namespace only, nothing cluster-wide', async () => {
    expect(await wrongAnswers(release, [...operatorNeeds(work), ...leaseNeeds(release)], true)).toEqual([]);
    const outside = [
      ...operatorNeeds(unwatched),
      ...['list', 'watch'].flatMap((verb) => ['workflows.sluice.dev', 'workflowruns.sluice.dev', 'jobs.batch'].map((resource) => ({ verb, resource, allNamespaces: true }))),
      { verb: 'create', resource: 'events', allNamespaces: true },
      ...operatorMustNot(work, release),
    ];
    expect(await wrongAnswers(release, outside, false)).toEqual([]);
  });
});

describe('deploy/ (plain manifests)', () => {
  it('applies with kubectl, and the operator pod is admitted in its restricted namespace', async () => {
    for (const file of ['deploy/crds.yaml', 'deploy/sluice.yaml']) {
      const applied = await kubectl(['apply', '-f', file]);
      expect(applied.code, `kubectl apply -f ${file}: ${applied.stderr}`).toBe(0);
    }
    try {
      const namespace = await c.core.readNamespace({ name: 'sluice-system' });
      expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      const pods = await eventually('the operator pod in sluice-system', async () => {
        const list = await c.core.listNamespacedPod({ namespace: 'sluice-system', labelSelector: 'app.kubernetes.io/name=sluice' });
        return list.items.length > 0 ? list.items : undefined;
      });
      expect(pods[0]?.spec?.serviceAccountName).toBe('sluice');
    } finally {
      // Without a long fake duration its pod would finish and be replaced over and over.
      await kubectl(['delete', '-f', 'deploy/sluice.yaml', '--wait=false']);
    }
  });
});
