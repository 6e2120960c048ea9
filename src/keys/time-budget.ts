// A wall-clock limit for synchronous work, from node:vm's `timeout`: V8 stops
// the script when the time is up, even inside the functions it calls, and the
// call throws. Pure code may not read a clock or set a timer; this is the one
// bound on time it can have. Each call costs about 0.2 ms (V8 starts a watchdog
// thread), so only evaluations that need it use it.
import vm from 'node:vm';

interface Sandbox {
  job: (() => unknown) | undefined;
}

let runner: { sandbox: Sandbox; script: vm.Script; context: vm.Context } | undefined;

function getRunner(): NonNullable<typeof runner> {
  if (!runner) {
    const sandbox: Sandbox = { job: undefined };
    runner = { sandbox, context: vm.createContext(sandbox), script: new vm.Script('job()', { filename: 'sluice-key-evaluation' }) };
  }
  return runner;
}

export type Timed<T> = { finished: true; value: T } | { finished: false };

/** Runs job, or stops it after timeoutMs. Errors the job throws are thrown. */
export function runWithTimeout<T>(job: () => T, timeoutMs: number): Timed<T> {
  const { sandbox, script, context } = getRunner();
  sandbox.job = job;
  try {
    return { finished: true, value: script.runInContext(context, { timeout: timeoutMs }) as T };
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { finished: false };
    throw err;
  } finally {
    sandbox.job = undefined;
  }
}
