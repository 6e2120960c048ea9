// The README's main job, `npm run demo`, end to end against the test control plane:
// it installs the CRDs, runs the operator, applies every example, and its summary
// tells the outcome the examples' comments promise.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

describe('npm run demo', () => {
  it('runs every example to the end and prints the summary', async () => {
    const child = spawn(process.execPath, [resolve('scripts/demo.ts'), `--kubeconfig=${inject('kubeconfig')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect(code, out.slice(-3000)).toBe(0);
    const summary = out.slice(out.lastIndexOf('Summary (phase/reason: runs)'));
    const counts = Object.fromEntries([...summary.matchAll(/^\s+(\S+)\s+(\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    // From the comments of examples/*/runs.yaml: 64 runs; the cancel-in-progress and
    // concurrency-demo groups replace 9 runs, cancel-newest rejects 6, the rest succeed.
    expect(counts).toEqual({ 'Cancelled/CancelledInProgress': 9, 'Cancelled/CancelledNewest': 6, 'Succeeded/JobSucceeded': 49 });
    expect(out).toContain('deleted namespace sluice-demo');
  }, 400_000);
});
