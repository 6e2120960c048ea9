// Where the operator's credentials come from: --kubeconfig (or $KUBECONFIG), else
// ~/.kube/config, else the in-cluster service account.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeconfig = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`kubeconfig ${path} does not exist`);
    kubeconfig.loadFromFile(path);
    return kubeconfig;
  }
  if (existsSync(join(homedir(), '.kube', 'config'))) {
    kubeconfig.loadFromDefault();
    return kubeconfig;
  }
  if (process.env['KUBERNETES_SERVICE_HOST']) {
    kubeconfig.loadFromCluster();
    return kubeconfig;
  }
  throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a cluster');
}
