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
 * The kubeconfig, for requests that keep their connections. @kubernetes/client-node
 * 2.0 makes a new undici Agent for every request (applySecurityAuthentication calls
 * createDispatcher each time), so no connection is ever reused: every request pays
 * a TCP connect and a TLS handshake with the client certificate, which cost more
 * CPU than the request itself. The view returned here (the same kubeconfig
 * underneath) keeps one pool instead, for as long as the cluster and the TLS
 * material stay the same: certificate files are still read for every request, and
 * a rotated certificate gets a new pool (the old one closes once its requests end).
 *
 * The pool speaks HTTP/1.1, at most `maxConnections` connections, one request in
 * flight on each; more wait in the pool. So a connection that goes silent stalls
 * one request, not everything multiplexed on one HTTP/2 connection, and a burst of
 * thousands of requests reuses connections instead of opening one each. Watches
 * are long requests that would hold pool connections: they keep using the
 * kubeconfig itself, one connection each.
 */
export function withConnectionPool(kubeconfig: KubeConfig, maxConnections: number): KubeConfig {
  const internals = kubeconfig as unknown as { createDispatcher?: CreateDispatcher };
  const create = internals.createDispatcher?.bind(kubeconfig);
  if (!create) return kubeconfig;
  const view = Object.create(kubeconfig) as KubeConfig;
  let last: { cluster: unknown; options: Record<string, unknown>; dispatcher: Dispatcher | undefined } | undefined;
  (view as unknown as { createDispatcher: CreateDispatcher }).createDispatcher = (cluster, options) => {
    if (last && last.cluster === cluster && sameOptions(last.options, options)) return last.dispatcher;
    const previous = last?.dispatcher;
    let dispatcher = create(cluster, options);
    const plan = kubeconfig.createDispatcherOptions(cluster as Parameters<KubeConfig['createDispatcherOptions']>[0], options);
    if (dispatcher && plan.type === 'agent') {
      // The same undici Agent class client-node uses, with its pool bounded and HTTP/2 off.
      const Agent = dispatcher.constructor as new (options: object) => Dispatcher;
      dispatcher.close?.().catch(() => undefined);
      dispatcher = new Agent({ connect: plan.connect, allowH2: false, connections: maxConnections });
    }
    last = { cluster, options, dispatcher };
    previous?.close?.().catch(() => undefined);
    return dispatcher;
  };
  return view;
}
