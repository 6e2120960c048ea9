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
    return reuseConnections(kubeconfig);
  }
  if (existsSync(join(homedir(), '.kube', 'config'))) {
    kubeconfig.loadFromDefault();
    return reuseConnections(kubeconfig);
  }
  if (process.env['KUBERNETES_SERVICE_HOST']) {
    kubeconfig.loadFromCluster();
    return reuseConnections(kubeconfig);
  }
  throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a cluster');
}

type Dispatcher = { close?: () => Promise<void>; constructor: unknown };
type CreateDispatcher = (cluster: unknown, options: Record<string, unknown>) => Dispatcher | undefined;

function sameOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const [x, y] = [a[key], b[key]];
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y) ? !x.equals(y) : x !== y) return false;
  }
  return true;
}

/**
 * @kubernetes/client-node 2.0 makes a new undici Agent for every request (its
 * applySecurityAuthentication calls createDispatcher each time), so no connection
 * is ever reused: every request pays a TCP connect and a TLS handshake with the
 * client certificate, which cost more CPU than the request itself. Keep one
 * dispatcher, a pool of kept-alive connections, for as long as the cluster and the
 * TLS material stay the same (certificate files are still read for every request;
 * a rotated certificate gets a new pool, and the old one closes once its requests,
 * watches included, are done).
 *
 * The pool speaks HTTP/1.1, as client-node's own agents would without ALPN's h2:
 * one connection per request in flight, so a connection that goes silent stalls
 * one request, not every request and watch multiplexed on it.
 */
function reuseConnections(kubeconfig: KubeConfig): KubeConfig {
  const internals = kubeconfig as unknown as { createDispatcher?: CreateDispatcher };
  const create = internals.createDispatcher?.bind(kubeconfig);
  if (!create) return kubeconfig;
  let last: { cluster: unknown; options: Record<string, unknown>; dispatcher: Dispatcher | undefined } | undefined;
  internals.createDispatcher = (cluster, options) => {
    if (last && last.cluster === cluster && sameOptions(last.options, options)) return last.dispatcher;
    const previous = last?.dispatcher;
    let dispatcher = create(cluster, options);
    const plan = kubeconfig.createDispatcherOptions(cluster as Parameters<KubeConfig['createDispatcherOptions']>[0], options);
    if (dispatcher && plan.type === 'agent') {
      // The same undici Agent class client-node uses, with HTTP/2 turned off.
      const Agent = dispatcher.constructor as new (options: object) => Dispatcher;
      dispatcher.close?.().catch(() => undefined);
      dispatcher = new Agent({ connect: plan.connect, allowH2: false });
    }
    last = { cluster, options, dispatcher };
    previous?.close?.().catch(() => undefined);
    return dispatcher;
  };
  return kubeconfig;
}
