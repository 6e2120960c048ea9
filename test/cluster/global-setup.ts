// vitest global setup for the integration project: one control plane for the run,
// in its own temporary directory and ports, stopped at the end even when tests fail.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { ensureBinaries } from './build.ts';
import { startControlPlane, stopControlPlane } from './control-plane.ts';

export const testStatePrefix = 'sluice-test-';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    clusterBinaries: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const progress = (line: string) => console.log(`[cluster] ${line}`);
  const binaries = await ensureBinaries(progress);
  const stateDir = mkdtempSync(join(tmpdir(), testStatePrefix));
  const plane = await startControlPlane({ stateDir, binaries, ownerPid: process.pid, progress });
  project.provide('kubeconfig', plane.kubeconfig);
  project.provide('clusterBinaries', binaries);
  return async () => {
    await stopControlPlane(stateDir);
  };
}
