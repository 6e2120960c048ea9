// What integration tests share: clients for the run's control plane (started by
// test/cluster/global-setup.ts), unique namespaces, and waiting with a deadline.
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';

export interface Clients {
  kubeconfig: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
  extensions: k8s.ApiextensionsV1Api;
}

export function clients(): Clients {
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromFile(inject('kubeconfig'));
  return {
    kubeconfig,
    core: kubeconfig.makeApiClient(k8s.CoreV1Api),
    batch: kubeconfig.makeApiClient(k8s.BatchV1Api),
    custom: kubeconfig.makeApiClient(k8s.CustomObjectsApi),
    extensions: kubeconfig.makeApiClient(k8s.ApiextensionsV1Api),
  };
}

let namespaceCount = 0;

/** A fresh namespace per test, so tests never see each other's objects. */
export async function freshNamespace(core: k8s.CoreV1Api, prefix: string): Promise<string> {
  namespaceCount += 1;
  const name = `${prefix}-${process.pid}-${namespaceCount}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Thrown from an `eventually` check: stop waiting at once, this will not get better. */
export class GiveUp extends Error {}

/**
 * Polls until `check` returns a value other than undefined, and returns it. Never a
 * timed assertion: the deadline only bounds how long a broken test hangs.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`Gave up waiting for ${what} after ${timeoutMs} ms${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof k8s.ApiException && err.code === 404;
}
