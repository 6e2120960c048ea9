// The control-plane harness fails with one message a person can act on.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureBinaries } from './build.ts';
import { ClusterError } from './errors.ts';
import { startProcess, waitUntil } from './processes.ts';
import { readState } from './control-plane.ts';

const scratch: string[] = [];
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-harness-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<ClusterError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ClusterError);
  return err as ClusterError;
}

const bogus = { module: 'kwok', version: 'v0.0.0-test', packages: ['sigs.k8s.io/kwok/cmd/does-not-exist'], ldflags: [] };

describe('building the control plane', () => {
  it('says to install Go when `go` is missing, instead of a stack trace', async () => {
    const saved = { path: process.env['PATH'], cache: process.env['SLUICE_CACHE_DIR'] };
    process.env['PATH'] = '/nonexistent';
    process.env['SLUICE_CACHE_DIR'] = scratchDir();
    try {
      const err = await failure(ensureBinaries(() => {}, [bogus]));
      expect(err.message).toMatch(/`go` was not found on PATH/);
      expect(err.message).toMatch(/SLUICE_CLUSTER_BIN_DIR/);
    } finally {
      process.env['PATH'] = saved.path;
      if (saved.cache === undefined) delete process.env['SLUICE_CACHE_DIR'];
      else process.env['SLUICE_CACHE_DIR'] = saved.cache;
    }
  });

  it('names the build log when a build fails, and caches nothing', async () => {
    const cache = scratchDir();
    process.env['SLUICE_CACHE_DIR'] = cache;
    try {
      const err = await failure(ensureBinaries(() => {}, [bogus]));
      const log = /See (\S+)\.$/.exec(err.message)?.[1] ?? '';
      expect(err.message).toMatch(/^Building kwok v0\.0\.0-test failed/);
      expect(readFileSync(log, 'utf8')).toMatch(/does-not-exist/);
      expect(existsSync(join(cache, 'bin', 'kwok-v0.0.0-test'))).toBe(false);
    } finally {
      delete process.env['SLUICE_CACHE_DIR'];
    }
  });

  it('removes what a killed build left in the cache, and not what a running one is writing', async () => {
    const cache = scratchDir();
    const gone = spawnSync('true').pid;
    const running = spawn('sleep', ['60']);
    const staging = (pid: number | undefined) => join(cache, 'bin', `kwok-v0.0.0-test.partial-${pid}`);
    mkdirSync(staging(gone), { recursive: true });
    mkdirSync(staging(running.pid), { recursive: true });
    process.env['SLUICE_CACHE_DIR'] = cache;
    try {
      await failure(ensureBinaries(() => {}, [bogus]));
      expect(existsSync(staging(gone))).toBe(false);
      expect(existsSync(staging(running.pid))).toBe(true);
    } finally {
      running.kill();
      delete process.env['SLUICE_CACHE_DIR'];
    }
  });

  it('refuses a SLUICE_CLUSTER_BIN_DIR that lacks binaries, naming them', async () => {
    process.env['SLUICE_CLUSTER_BIN_DIR'] = scratchDir();
    try {
      const err = await failure(ensureBinaries(() => {}));
      expect(err.message).toMatch(/lacks etcd, kube-apiserver/);
    } finally {
      delete process.env['SLUICE_CLUSTER_BIN_DIR'];
    }
  });
});

describe('starting a component', () => {
  it('reports a process that dies at start with its exit code, log path and last lines', async () => {
    const log = join(scratchDir(), 'dies.log');
    const p = startProcess('dies', '/bin/sh', ['-c', 'echo "flag provided but not defined: -x"; exit 3'], log);
    const err = await failure(waitUntil('never', async () => false, { timeoutMs: 30_000, process: p }));
    expect(err.message).toMatch(/^dies exited during start-up \(exit code 3\)/);
    expect(err.message).toContain(`Log: ${log}`);
    expect(err.message).toContain('flag provided but not defined');
  });

  it('says a port is taken when the log says so', async () => {
    const log = join(scratchDir(), 'port.log');
    const p = startProcess('etcd', '/bin/sh', ['-c', 'echo "listen tcp 127.0.0.1:2379: bind: address already in use"; exit 1'], log);
    const err = await failure(waitUntil('never', async () => false, { timeoutMs: 30_000, process: p }));
    expect(err.message).toMatch(/A port it needs is taken/);
  });
});

describe('npm run cluster:down', () => {
  it('cleans up after a crash: stops what is left and removes the state', () => {
    const cwd = scratchDir();
    const cli = resolve('test/cluster/cli.ts');
    const up = spawnSync(process.execPath, [cli, 'up'], { cwd, encoding: 'utf8' });
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    const state = readState(join(cwd, '.cluster'));
    expect(state?.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']);
    // A crash: the API server dies under the others.
    const apiserver = state?.processes.find((p) => p.name === 'kube-apiserver');
    process.kill(apiserver?.pid ?? 0, 'SIGKILL');
    const down = spawnSync(process.execPath, [cli, 'down'], { cwd, encoding: 'utf8' });
    expect(down.status).toBe(0);
    expect(existsSync(join(cwd, '.cluster'))).toBe(false);
    for (const p of state?.processes ?? []) {
      const alive = existsSync(`/proc/${p.pid}/cmdline`) && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').startsWith(p.binary);
      expect(alive, `${p.name} still runs`).toBe(false);
    }
  }, 120_000);
});
