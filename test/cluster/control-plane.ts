// A real Kubernetes control plane as local processes: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (a fake kubelet whose pods run
// and finish without a container runtime). Everything listens on 127.0.0.1 only,
// on ports picked at start, with state in one directory, so runs never collide.
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BinaryPaths } from './build.ts';
import { ClusterError } from './errors.ts';
import { makePki, type Pki } from './pki.ts';
import { isOurs, startProcess, stopProcesses, waitUntil, type ProcessRecord, type Started } from './processes.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const fakeNodeName = 'sluice-fake-node';

export interface ControlPlane {
  stateDir: string;
  /** The process that started it and owns it (the CLI's is gone at once; a test run's is not). */
  ownerPid: number;
  kubeconfig: string;
  server: string;
  processes: ProcessRecord[];
}

const stateFile = (stateDir: string) => join(stateDir, 'state.json');

function saveState(plane: ControlPlane): void {
  writeFileSync(stateFile(plane.stateDir), JSON.stringify(plane, null, 2));
}

export function readState(stateDir: string): ControlPlane | undefined {
  const file = stateFile(stateDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ControlPlane) : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function kubeconfigYaml(server: string, pki: Pki): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: sluice-local
  cluster:
    server: ${server}
    certificate-authority-data: ${readFileSync(pki.caCert).toString('base64')}
users:
- name: sluice-admin
  user:
    client-certificate-data: ${readFileSync(pki.adminCert).toString('base64')}
    client-key-data: ${readFileSync(pki.adminKey).toString('base64')}
contexts:
- name: sluice-local
  context: { cluster: sluice-local, user: sluice-admin, namespace: default }
current-context: sluice-local
`;
}

/** A minimal admin client for start-up checks; the tests use @kubernetes/client-node. */
function adminRequest(server: string, pki: Pki, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      {
        method,
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        headers: body ? { 'content-type': 'application/json' } : {},
        timeout: 5000,
      },
      (res) => {
        let data = '';
        res.on('data', (chunk: Buffer) => (data += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(`http://127.0.0.1:${port}/health`, { timeout: 2000 }, (res) => {
      let data = '';
      res.on('data', (chunk: Buffer) => (data += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && data.includes('"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface StartOptions {
  stateDir: string;
  binaries: BinaryPaths;
  ownerPid: number;
  progress: (line: string) => void;
}

export async function startControlPlane(options: StartOptions): Promise<ControlPlane> {
  const { stateDir, binaries: bin, progress } = options;
  const previous = readState(stateDir);
  if (previous?.processes.some(isOurs)) {
    throw new ClusterError(`A control plane already runs from ${stateDir}. Stop it first: npm run cluster:down`);
  }
  rmSync(stateDir, { recursive: true, force: true });
  const pkiDir = join(stateDir, 'pki');
  const logDir = join(stateDir, 'logs');
  for (const dir of [pkiDir, logDir, join(stateDir, 'etcd')]) mkdirSync(dir, { recursive: true });

  const pki = makePki(pkiDir);
  const [etcdPort, etcdPeerPort, apiPort, kwokPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(stateDir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, pki), { mode: 0o600 });
  const plane: ControlPlane = { stateDir, ownerPid: options.ownerPid, kubeconfig, server, processes: [] };
  saveState(plane);
  const launch = (name: string, args: string[]): Started => {
    const binary = bin[name];
    if (!binary) throw new ClusterError(`No binary for ${name}.`);
    const started = startProcess(name, binary, args, join(logDir, `${name}.log`));
    plane.processes.push({ name, pid: started.pid, binary: started.binary, log: started.log });
    saveState(plane);
    return started;
  };
  const api = (method: string, path: string, body?: unknown) => adminRequest(server, pki, method, path, body);

  try {
    progress('starting etcd');
    const etcd = launch('etcd', [
      '--name=sluice',
      `--data-dir=${join(stateDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=sluice=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync',
      '--quota-backend-bytes=8589934592',
      '--log-level=warn',
    ]);
    await waitUntil('etcd /health', () => etcdHealthy(etcdPort), { timeoutMs: 30_000, process: etcd });

    progress('starting kube-apiserver');
    const apiserver = launch('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      // Offline there is no default route to pick an address from.
      '--advertise-address=127.0.0.1',
      // A loopback address is invalid in the `kubernetes` Endpoints object.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${pkiDir}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      // As on most production clusters: setting blockOwnerDeletion on a Job owned by
      // a WorkflowRun needs update on workflowruns/finalizers, so the chart's RBAC is proven.
      '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      '--profiling=false',
    ]);
    await waitUntil('kube-apiserver /readyz', async () => (await api('GET', '/readyz')).status === 200, {
      timeoutMs: 90_000,
      process: apiserver,
    });

    progress('starting kube-controller-manager, kube-scheduler and kwok');
    const controllerManager = launch('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--controllers=*',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=false',
      // The defaults (20 qps) throttle the job controller under benchmark load.
      '--kube-api-qps=500',
      '--kube-api-burst=1000',
      '--concurrent-job-syncs=20',
      '--concurrent-gc-syncs=40',
    ]);
    const schedulerConfig = join(stateDir, 'scheduler.yaml');
    writeFileSync(
      schedulerConfig,
      `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: { kubeconfig: ${JSON.stringify(kubeconfig)}, qps: 500, burst: 1000 }
leaderElection: { leaderElect: false }
`,
    );
    const scheduler = launch('kube-scheduler', [`--config=${schedulerConfig}`, '--bind-address=127.0.0.1', '--secure-port=0']);
    const kwok = launch('kwok', [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=true',
      `--config=${join(here, 'kwok-stages.yaml')}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      '--node-lease-duration-seconds=40',
    ]);

    const node = await api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: fakeNodeName,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { type: 'kwok', 'kubernetes.io/hostname': fakeNodeName, 'kubernetes.io/os': 'linux' },
      },
    });
    if (node.status !== 201) throw new ClusterError(`Creating the fake node failed (${node.status}): ${node.body}`);

    await waitUntil('the fake node to be Ready and schedulable', async () => {
      const res = await api('GET', `/api/v1/nodes/${fakeNodeName}`);
      const n = JSON.parse(res.body) as {
        spec?: { taints?: unknown[] };
        status?: { conditions?: { type: string; status: string }[] };
      };
      const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return ready && (n.spec?.taints ?? []).length === 0;
    }, { timeoutMs: 60_000, process: kwok });
    await waitUntil('the default ServiceAccount (made by the controller manager)', async () =>
      (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    { timeoutMs: 60_000, process: controllerManager });
    for (const p of [controllerManager, scheduler, kwok]) {
      await waitUntil(`${p.name} to keep running`, async () => true, { timeoutMs: 0, process: p });
    }
    progress(`control plane ready: ${server} (kubeconfig: ${kubeconfig})`);
    return plane;
  } catch (err) {
    // Keep the logs for the error message to point at; drop the state so a retry starts clean.
    await stopProcesses(plane.processes);
    rmSync(stateFile(stateDir), { force: true });
    throw err;
  }
}

/** Stops every process recorded in stateDir and removes the state; safe after a crash. */
export async function stopControlPlane(stateDir: string): Promise<boolean> {
  const plane = readState(stateDir);
  if (plane) await stopProcesses(plane.processes);
  rmSync(stateDir, { recursive: true, force: true });
  return plane !== undefined;
}
