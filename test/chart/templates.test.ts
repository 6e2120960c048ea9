// The Helm chart as helm itself lints and renders it: least-privilege RBAC in both
// scopes, a hardened Deployment whose flags the operator accepts, optional objects
// only when asked for, and values.schema.json refusing bad values with helm's error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { helmBinary, runHelm } from '../../scripts/sync-chart.ts';
import { parseConfig } from '../../src/config/config.ts';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; valueFrom?: unknown }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources: unknown;
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}

interface Deployment extends K8sObject {
  spec: { replicas: number; template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } };
}

let helm: string;
const valuesDir = mkdtempSync(join(tmpdir(), 'sluice-chart-'));
let valuesFiles = 0;

// A cold cache builds helm from source first.
beforeAll(async () => {
  helm = await helmBinary();
}, 20 * 60_000);

function valuesFile(values: Record<string, unknown>): string {
  valuesFiles += 1;
  const path = join(valuesDir, `values-${valuesFiles}.yaml`);
  writeFileSync(path, stringify(values));
  return path;
}

function render(values: Record<string, unknown> = {}, release = 'sluice', namespace = 'sluice-system'): K8sObject[] {
  const out = runHelm(helm, ['template', release, 'charts/sluice', '--namespace', namespace, '--values', valuesFile(values)]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** helm's error for values the chart refuses. */
function refusal(values: Record<string, unknown>): string {
  try {
    render(values);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error(`helm accepted ${JSON.stringify(values)}`);
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

function deployment(objects: K8sObject[]): Deployment {
  const found = ofKind(objects, 'Deployment');
  expect(found).toHaveLength(1);
  return found[0] as Deployment;
}

function container(objects: K8sObject[]): Container {
  const containers = deployment(objects).spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
}

const aggregated = (o: K8sObject) => Object.keys(o.metadata.labels ?? {}).some((l) => l.startsWith('rbac.authorization.k8s.io/aggregate-to-'));

/**
 * Every request the operator makes in a namespace it manages (src/kubernetes/cluster-api.ts
 * and its callers): informers list and watch Workflows, WorkflowRuns and Jobs; status is
 * written with merge patches; a Job is read live, created and deleted; Events are created.
 * Creating a Job whose ownerReference blocks its run's deletion needs update on the run's
 * finalizers under the OwnerReferencesPermissionEnforcement admission plugin.
 */
const operatorRules: Rule[] = [
  { apiGroups: ['sluice.dev'], resources: ['workflows', 'workflowruns'], verbs: ['list', 'watch'] },
  { apiGroups: ['sluice.dev'], resources: ['workflows/status', 'workflowruns/status'], verbs: ['patch'] },
  { apiGroups: ['sluice.dev'], resources: ['workflowruns/finalizers'], verbs: ['update'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

const leaseRules: Rule[] = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

const serviceAccountSubject = (name: string, namespace: string) => [{ kind: 'ServiceAccount', name, namespace }];

describe('helm lint', () => {
  it.each([
    ['the defaults', {}],
    ['every option on', { watchNamespaces: ['team-a'], metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } }, podDisruptionBudget: { enabled: true }, replicaCount: 2 }],
  ])('passes --strict with %s', (_name, values) => {
    const out = runHelm(helm, ['lint', '--strict', 'charts/sluice', '--values', valuesFile(values)]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});

describe('RBAC', () => {
  it('by default: a ClusterRole with exactly the rules the operator uses, bound to its ServiceAccount', () => {
    const objects = render();
    const operatorRoles = ofKind(objects, 'ClusterRole').filter((o) => !aggregated(o));
    expect(operatorRoles.map((r) => r.metadata.name)).toEqual(['sluice']);
    expect(operatorRoles[0]?.['rules']).toEqual(operatorRules);
    const bindings = ofKind(objects, 'ClusterRoleBinding');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'sluice' });
    expect(bindings[0]?.['subjects']).toEqual(serviceAccountSubject('sluice', 'sluice-system'));
    expect(ofKind(objects, 'ServiceAccount').map((o) => [o.metadata.name, o.metadata.namespace])).toEqual([['sluice', 'sluice-system']]);
    expect(deployment(objects).spec.template.spec.serviceAccountName).toBe('sluice');
  });

  it('the only other ClusterRoles extend view and edit for users, and nothing binds them to the operator', () => {
    const objects = render();
    const extra = ofKind(objects, 'ClusterRole').filter(aggregated);
    expect(extra.map((r) => r.metadata.name).sort()).toEqual(['sluice-edit', 'sluice-view']);
    const bound = [...ofKind(objects, 'ClusterRoleBinding'), ...ofKind(objects, 'RoleBinding')].map((b) => (b['roleRef'] as { name: string }).name);
    expect(bound).not.toContain('sluice-edit');
    expect(bound).not.toContain('sluice-view');
  });

  it('leader election: a Role on Leases in the release namespace only, and none when disabled', () => {
    const objects = render();
    const roles = ofKind(objects, 'Role');
    expect(roles.map((r) => [r.metadata.name, r.metadata.namespace])).toEqual([['sluice-leader-election', 'sluice-system']]);
    expect(roles[0]?.['rules']).toEqual(leaseRules);
    const binding = ofKind(objects, 'RoleBinding').find((b) => b.metadata.name === 'sluice-leader-election');
    expect(binding?.['subjects']).toEqual(serviceAccountSubject('sluice', 'sluice-system'));

    const without = render({ leaderElection: { enabled: false } });
    expect(ofKind(without, 'Role')).toEqual([]);
    expect(ofKind(without, 'RoleBinding')).toEqual([]);
    expect(parseConfig(container(without).args, {})).toMatchObject({ ok: true, config: { leaderElect: false } });
  });

  it('with watchNamespaces: a Role and RoleBinding in each, and no ClusterRole for the operator', () => {
    const objects = render({ watchNamespaces: ['team-a', 'team-b'] }, 'ops', 'sluice-system');
    expect(ofKind(objects, 'ClusterRole').filter((o) => !aggregated(o))).toEqual([]);
    expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
    const roles = ofKind(objects, 'Role').filter((r) => r.metadata.name === 'ops-sluice');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['team-a', 'team-b']);
    for (const role of roles) expect(role['rules']).toEqual(operatorRules);
    const bindings = ofKind(objects, 'RoleBinding').filter((r) => r.metadata.name === 'ops-sluice');
    expect(bindings.map((b) => b.metadata.namespace)).toEqual(['team-a', 'team-b']);
    for (const binding of bindings) {
      expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ops-sluice' });
      expect(binding['subjects']).toEqual(serviceAccountSubject('ops-sluice', 'sluice-system'));
    }
    const namespaceFlags = container(objects).args.filter((a) => a.startsWith('--namespace'));
    expect(namespaceFlags).toEqual(['--namespace=team-a', '--namespace=team-b']);
  });

  it('binds an existing ServiceAccount when told not to create one', () => {
    const objects = render({ serviceAccount: { create: false, name: 'robot' } });
    expect(ofKind(objects, 'ServiceAccount')).toEqual([]);
    expect(ofKind(objects, 'ClusterRoleBinding')[0]?.['subjects']).toEqual(serviceAccountSubject('robot', 'sluice-system'));
    expect(deployment(objects).spec.template.spec.serviceAccountName).toBe('robot');
  });
});

describe('the Deployment', () => {
  it('is hardened: non-root, read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    const objects = render();
    const pod = deployment(objects).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(objects).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('probes /healthz and /readyz on the health port, and exposes /metrics on its port', () => {
    const c = container(render({ healthProbePort: 9441, metrics: { port: 9440 } }));
    expect(c.ports).toEqual([
      { name: 'metrics', containerPort: 9440 },
      { name: 'health', containerPort: 9441 },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.args).toContain('--health-probe-bind-address=:9441');
    expect(c.args).toContain('--metrics-bind-address=:9440');
  });

  it('has resource requests and limits, from values', () => {
    expect(container(render()).resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    const custom = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };
    expect(container(render({ resources: custom })).resources).toEqual(custom);
  });

  it("passes the values as flags that the operator's own parser accepts", () => {
    const values = {
      maxConcurrentRuns: 7,
      logLevel: 'debug',
      leaderElection: { enabled: true },
      watchNamespaces: ['team-a'],
      kubeApi: { qps: 20, burst: 40 },
      workflowStatusInterval: '500ms',
    };
    const c = container(render(values));
    const parsed = parseConfig(c.args, {});
    expect(parsed).toMatchObject({
      ok: true,
      config: {
        maxConcurrentRuns: 7,
        logLevel: 'debug',
        leaderElect: true,
        namespaces: ['team-a'],
        kubeApiQps: 20,
        kubeApiBurst: 40,
        workflowStatusIntervalMs: 500,
        metricsBindAddress: ':8080',
        healthProbeBindAddress: ':8081',
      },
    });
    // The Lease goes in the pod's own namespace, which the operator reads from POD_NAMESPACE.
    expect(c.env).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
  });

  it('defaults: unlimited runs, info logs, leader election, every namespace', () => {
    const parsed = parseConfig(container(render()).args, {});
    expect(parsed).toMatchObject({ ok: true, config: { maxConcurrentRuns: 0, logLevel: 'info', leaderElect: true, namespaces: [] } });
  });

  it("uses the chart's appVersion as the image tag unless one is given", () => {
    expect(container(render()).image).toBe('ghcr.io/sluice-dev/sluice:0.1.0');
    expect(container(render({ image: { repository: 'registry.example/sluice', tag: 'dev' } })).image).toBe('registry.example/sluice:dev');
  });

  it('takes replicas, pod annotations, node selector and tolerations from values', () => {
    const d = deployment(
      render({ replicaCount: 3, podAnnotations: { team: 'x' }, nodeSelector: { pool: 'ops' }, tolerations: [{ key: 'ops', operator: 'Exists' }] }),
    );
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.metadata.annotations).toEqual({ team: 'x' });
    expect(d.spec.template.spec).toMatchObject({ nodeSelector: { pool: 'ops' }, tolerations: [{ key: 'ops', operator: 'Exists' }] });
  });
});

describe('optional objects', () => {
  it('the metrics Service by default, targeting the metrics port', () => {
    const services = ofKind(render(), 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(['sluice-metrics']);
    expect(services[0]?.['spec']).toMatchObject({ ports: [{ name: 'metrics', port: 8080, targetPort: 'metrics' }] });
    expect(ofKind(render({ metrics: { service: { enabled: false } } }), 'Service')).toEqual([]);
  });

  it('a ServiceMonitor only when enabled, with its labels and interval', () => {
    expect(ofKind(render(), 'ServiceMonitor')).toEqual([]);
    const [monitor] = ofKind(render({ metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prom' } } } }), 'ServiceMonitor');
    expect(monitor?.metadata.labels).toMatchObject({ release: 'prom' });
    expect(monitor?.['spec']).toMatchObject({ endpoints: [{ port: 'metrics', path: '/metrics', interval: '15s' }] });
  });

  it('a PodDisruptionBudget only when enabled', () => {
    expect(ofKind(render(), 'PodDisruptionBudget')).toEqual([]);
    const [pdb] = ofKind(render({ podDisruptionBudget: { enabled: true, minAvailable: 1 }, replicaCount: 2 }), 'PodDisruptionBudget');
    expect(pdb?.['spec']).toMatchObject({ minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/instance': 'sluice' } } });
  });
});

describe('values.schema.json', () => {
  it.each([
    [{ maxConcurrentRuns: -1 }, /at '\/maxConcurrentRuns': minimum: got -1, want 0/],
    [{ maxConcurrentRuns: 'ten' }, /at '\/maxConcurrentRuns': got string, want integer/],
    [{ logLevel: 'loud' }, /at '\/logLevel': value must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal'/],
    [{ watchNamespaces: ['Team_A'] }, /at '\/watchNamespaces\/0'/],
    [{ leaderElection: { enabled: 1 } }, /at '\/leaderElection\/enabled': got number, want boolean/],
    [{ maxConcurentRuns: 3 }, /additional properties 'maxConcurentRuns' not allowed/],
  ])('refuses %j with helm\'s error', (values, message) => {
    const error = refusal(values);
    expect(error).toContain("values don't meet the specifications of the schema(s)");
    expect(error).toMatch(message);
  });
});
