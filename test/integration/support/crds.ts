// Installs crds/ into the test control plane the way a user does, with
// `kubectl apply -f crds/`, and waits until the API server serves both resources.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { inject } from 'vitest';

export function installCrds(): void {
  const kubectl = inject('clusterBinaries')['kubectl'];
  if (!kubectl) throw new Error('the control plane has no kubectl binary');
  const kubeconfig = inject('kubeconfig');
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', resolve('crds')], { stdio: 'pipe' });
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', '-f', resolve('crds')], { stdio: 'pipe' });
}
