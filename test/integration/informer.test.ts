// The operator's caches against a real API server that goes away and comes back,
// and against a watch that is told its resource version is gone (410): in both
// cases the cache ends up holding exactly what the API server holds.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterApi, resources } from '../../src/kubernetes/cluster-api.ts';
import { Informer, type KubeObject } from '../../src/kubernetes/informer.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { freePort } from '../cluster/control-plane.ts';
import { clients, eventually, freshNamespace } from './support/cluster.ts';
import { installCrds } from './support/crds.ts';
import { Relay } from './support/relay.ts';
import { jobTemplate, Sluice } from './support/sluice.ts';

const c = clients();
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  installCrds();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Seen {
  informer: Informer<KubeObject>;
  upserts: string[];
  deletes: string[];
}

/** An informer on Workflows of one namespace, talking to the API server through `server`. */
async function workflowInformer(namespace: string, server?: string): Promise<Seen> {
  const kubeconfig = new k8s.KubeConfig();
  const text = readFileSync(inject('kubeconfig'), 'utf8');
  kubeconfig.loadFromString(server ? text.replace(c.kubeconfig.getCurrentCluster()?.server ?? '', server) : text);
  const api = new ClusterApi(kubeconfig, { qps: 100, burst: 100, observe: () => undefined });
  const seen: Seen = { informer: undefined as unknown as Informer<KubeObject>, upserts: [], deletes: [] };
  seen.informer = new Informer<KubeObject>({
    name: 'workflows',
    kubeconfig,
    api,
    resource: resources.workflows,
    namespace,
    relistIntervalMs: 3_600_000,
    logger: createLogger('silent'),
    onUpsert: (o) => seen.upserts.push(o.metadata.name),
    onDelete: (o) => seen.deletes.push(o.metadata.name),
  });
  await seen.informer.start();
  cleanups.push(() => seen.informer.stop());
  return seen;
}

function names(informer: Informer<KubeObject>): string[] {
  return [...informer.values()].map((o) => o.metadata.name).sort();
}

describe('the informer', () => {
  it('after the API server was unreachable, holds what changed meanwhile, deletions included', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'informer-outage'));
    const relay = await Relay.start(await freePort(), new URL(c.kubeconfig.getCurrentCluster()?.server ?? ''));
    cleanups.push(() => relay.cut());
    await s.createWorkflow('before', { template: jobTemplate('1s') });
    const seen = await workflowInformer(s.namespace, `https://127.0.0.1:${relay.port}`);
    expect(names(seen.informer)).toEqual(['before']);

    await relay.cut();
    await s.createWorkflow('during', { template: jobTemplate('1s') });
    await s.deleteWorkflow('before');
    await relay.restore();

    await eventually('the cache to hold exactly the Workflows that exist', async () => (JSON.stringify(names(seen.informer)) === '["during"]') || undefined);
    expect(seen.deletes).toEqual(['before']);
    await s.createWorkflow('after', { template: jobTemplate('1s') });
    await eventually('the watch to deliver a new Workflow', async () => (names(seen.informer).includes('after')) || undefined);
  });

  it('relists when the API server answers 410 Gone to a watch from an expired resource version', async () => {
    const s = new Sluice(c, await freshNamespace(c.core, 'informer-gone'));
    await s.createWorkflow('first', { template: jobTemplate('1s') });
    const seen = await workflowInformer(s.namespace);
    // What a long disconnection leaves behind: a resource version the API server's
    // watch window no longer holds. The next watch starts from it.
    const internals = seen.informer as unknown as { resourceVersion: string; abort: AbortController | undefined };
    const watching = await eventually('the watch to be open', async () => internals.abort);
    internals.resourceVersion = '1';
    watching.abort();
    await s.createWorkflow('second', { template: jobTemplate('1s') });
    await eventually('the cache to catch up after 410 Gone', async () => (JSON.stringify(names(seen.informer)) === '["first","second"]') || undefined);
    await s.createWorkflow('third', { template: jobTemplate('1s') });
    await eventually('the watch to go on from the relist', async () => (names(seen.informer).includes('third')) || undefined);
  });
});
