// The operator's process surface as a kubelet and a user meet it: /healthz and
// /readyz, readiness that waits for the caches, and start-up errors.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../cluster/control-plane.ts';
import { clients, eventually, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { startOperator, type Operator } from './support/operator.ts';
import { Relay } from './support/relay.ts';

const c = clients();
let namespace: string;
const started: Operator[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  installCrds();
  namespace = await freshNamespace(c.core, 'probes');
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((o) => o.kill()));
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('probes', () => {
  it('answers /healthz and /readyz (ready, leading) when running normally', async () => {
    const operator = await startOperator([`--namespace=${namespace}`]);
    started.push(operator);
    expect(await get(`${operator.healthUrl}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
    expect(await get(`${operator.healthUrl}/readyz`)).toEqual({ status: 200, body: 'ok: caches synced, leading\n' });
  });

  it('stays not ready while the API server is unreachable, stays healthy, and becomes ready once it answers', async () => {
    const port = await freePort();
    const server = new URL(c.kubeconfig.getCurrentCluster()?.server ?? '');
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'sluice-probes-')), 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(inject('kubeconfig'), 'utf8').replace(server.origin, `https://127.0.0.1:${port}`));

    const operator = await startOperator([`--kubeconfig=${kubeconfig}`, `--namespace=${namespace}`], { waitReady: false });
    started.push(operator);
    // Every cache failing twice (with backoff in between) shows it tried and keeps trying.
    await eventually('every cache to fail to list twice', async () => {
      const failures = new Map<unknown, number>();
      for (const l of operator.logs()) if (l['msg'] === 'list failed; retrying') failures.set(l['informer'], (failures.get(l['informer']) ?? 0) + 1);
      return (failures.size === 3 && [...failures.values()].every((n) => n >= 2)) || undefined;
    });
    expect(operator.process.exitCode).toBeNull();
    expect(await get(`${operator.healthUrl}/readyz`)).toEqual({ status: 503, body: 'caches not synced yet\n' });
    expect(await get(`${operator.healthUrl}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
    expect(operator.logs().some((l) => l['msg'] === 'caches synced')).toBe(false);

    const relay = await Relay.start(port, server);
    cleanups.push(() => void relay.cut());
    const ready = await eventually('the operator to become ready through the relay', async () => {
      const res = await get(`${operator.healthUrl}/readyz`);
      return res.status === 200 ? res : undefined;
    });
    expect(ready.body).toBe('ok: caches synced, leading\n');
    expect(operator.logs().some((l) => l['msg'] === 'caches synced')).toBe(true);
  });
});

describe('start-up errors', () => {
  it('refuses a bad flag value: exits non-zero with one stderr line naming the flag', async () => {
    const child = spawn(process.execPath, [resolve('src/main.ts'), '--max-concurrent-runs=ten'], {
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('sluice: invalid --max-concurrent-runs "ten": expected a whole number\n');
  });

  it('exits non-zero naming the address when the metrics port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    cleanups.push(() => taken.close());
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const operator = await startOperator([`--namespace=${namespace}`, `--metrics-bind-address=127.0.0.1:${port}`], { waitReady: false });
    started.push(operator);
    expect(await operator.exited).toBe(1);
    expect(readFileSync(operator.logFile, 'utf8')).toMatch(new RegExp(`^sluice: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, 'm'));
  });
});
