// Starting and stopping the control plane's processes by PID: each runs in its own
// process group with output to a log file, and is recorded before we wait on it,
// so `cluster:down` can stop exactly what was started even after a crash.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterError } from './errors.ts';

export interface ProcessRecord {
  name: string;
  pid: number;
  binary: string;
  log: string;
}

export interface Started extends ProcessRecord {
  /** Set once the process has exited, with its exit code or signal. */
  exited: () => string | undefined;
}

export function startProcess(name: string, binary: string, args: string[], log: string): Started {
  const fd = openSync(log, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.on('error', (err) => {
    exit = err.message;
  });
  child.unref();
  if (child.pid === undefined) throw new ClusterError(`Could not start ${name} (${binary}). See ${log}.`);
  return { name, pid: child.pid, binary, log, exited: () => exit };
}

export function logTail(log: string, lines = 15): string {
  if (!existsSync(log)) return '';
  return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Whether pid is alive and still runs our binary (a PID can be reused after a crash). */
export function isOurs(record: ProcessRecord): boolean {
  try {
    const stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === record.binary;
  } catch {
    return false;
  }
}

function signal(record: ProcessRecord, sig: NodeJS.Signals): void {
  try {
    process.kill(-record.pid, sig);
  } catch {
    try {
      process.kill(record.pid, sig);
    } catch {
      // Already gone.
    }
  }
}

/** Stops the processes in reverse start order: SIGTERM, then SIGKILL after a grace period. */
export async function stopProcesses(records: ProcessRecord[], graceMs = 10_000): Promise<void> {
  for (const record of [...records].reverse()) {
    if (!isOurs(record)) continue;
    signal(record, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isOurs(record) && Date.now() < deadline) await sleep(100);
    if (isOurs(record)) signal(record, 'SIGKILL');
    while (isOurs(record)) await sleep(50);
  }
}

/**
 * Polls `ready` until it returns true. Fails with the process's log tail when the
 * process exits first, or when the deadline passes.
 */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  options: { timeoutMs: number; process?: Started },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  for (;;) {
    const exited = options.process?.exited();
    if (exited && options.process) throw startupFailure(options.process, `exited during start-up (${exited})`);
    try {
      if (await ready()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const detail = lastError ? ` (last error: ${lastError})` : '';
      if (options.process) throw startupFailure(options.process, `did not become ready: ${what}${detail}`);
      throw new ClusterError(`Timed out waiting for ${what}${detail}.`);
    }
    await sleep(200);
  }
}

function startupFailure(p: Started, problem: string): ClusterError {
  const tail = logTail(p.log);
  const hint = /address already in use/.test(tail)
    ? ' A port it needs is taken: stop whatever holds it (or a stale cluster: `npm run cluster:down`) and retry.'
    : '';
  return new ClusterError(`${p.name} ${problem}.${hint}\nLog: ${p.log}\n--- last lines ---\n${tail}`);
}
