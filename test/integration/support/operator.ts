// Runs the operator as a real process (`node src/main.ts`), the way a user runs
// it, against the test control plane: its own ports, logs kept in a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../cluster/control-plane.ts';
import { eventually, GiveUp } from './cluster.ts';

export interface Operator {
  process: ChildProcess;
  metricsUrl: string;
  healthUrl: string;
  logFile: string;
  /** The JSON log lines written so far. */
  logs: () => Record<string, unknown>[];
  /** SIGTERM, and wait for the exit. */
  stop: () => Promise<number | null>;
  /** SIGKILL: a crash, no clean-up. */
  kill: () => Promise<void>;
  exited: Promise<number | null>;
}

const main = resolve('src/main.ts');

export interface OperatorOptions {
  waitReady?: boolean;
  /** Whose credentials the operator uses; default the admin kubeconfig of the control plane. */
  kubeconfig?: string;
}

export async function startOperator(args: string[] = [], options: OperatorOptions = {}): Promise<Operator> {
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const logFile = join(mkdtempSync(join(tmpdir(), 'sluice-operator-')), 'operator.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [main, `--kubeconfig=${options.kubeconfig ?? inject('kubeconfig')}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${healthPort}`, '--log-level=debug', ...args],
    { stdio: ['ignore', fd, fd], env: { ...process.env, SLUICE_KUBE_API_QPS: '500', SLUICE_KUBE_API_BURST: '1000' } },
  );
  closeSync(fd);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const operator: Operator = {
    process: child,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    healthUrl: `http://127.0.0.1:${healthPort}`,
    logFile,
    logs: () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
  if (options.waitReady ?? true) {
    await eventually(`the operator to be ready (log: ${logFile})`, async () => {
      if (child.exitCode !== null) throw new GiveUp(`operator exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      const res = await fetch(`${operator.healthUrl}/readyz`).catch(() => undefined);
      return res?.status === 200 || undefined;
    });
  }
  return operator;
}
