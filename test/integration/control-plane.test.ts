// The world the integration tests run in is real: a real job controller, garbage
// collector and API server, with kwok pods that run and finish.
import type { V1Job } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { clients, eventually, freshNamespace, isNotFound } from './support/cluster.ts';

const { core, batch, custom, extensions } = clients();
let namespace: string;

beforeAll(async () => {
  namespace = await freshNamespace(core, 'smoke');
});

function job(name: string, podAnnotations: Record<string, string>): V1Job {
  return {
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: podAnnotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] },
      },
    },
  };
}

function condition(j: V1Job, type: string): string | undefined {
  return j.status?.conditions?.find((c) => c.type === type && c.status === 'True')?.type;
}

describe('the local control plane', () => {
  it('runs a Job whose pod lasts 2 s to Complete, set by the job controller', async () => {
    await batch.createNamespacedJob({ namespace, body: job('two-seconds', { 'sluice.dev/fake-duration': '2s' }) });
    const running = await eventually('a running pod', async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'job-name=two-seconds' });
      return pods.items.find((p) => p.status?.phase === 'Running');
    });
    const done = await eventually('the Job to complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'two-seconds', namespace });
      return condition(j, 'Complete') ? j : undefined;
    });
    expect(done.status?.succeeded).toBe(1);
    const started = running.status?.startTime?.getTime() ?? 0;
    const pod = await core.readNamespacedPod({ name: running.metadata?.name ?? '', namespace });
    const finished = pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt?.getTime() ?? 0;
    // The pod ran for its annotated duration (the API's timestamps have 1 s resolution).
    expect(finished - started).toBeGreaterThanOrEqual(1000);
    expect(pod.status?.phase).toBe('Succeeded');
  });

  it('ends a Job annotated to fail as Failed', async () => {
    await batch.createNamespacedJob({ namespace, body: job('failing', { 'sluice.dev/fake-fail': 'true', 'sluice.dev/fake-duration': '1s' }) });
    const failed = await eventually('the Job to fail', async () => {
      const j = await batch.readNamespacedJob({ name: 'failing', namespace });
      return condition(j, 'Failed') ? j : undefined;
    });
    expect(failed.status?.failed).toBe(1);
    expect(condition(failed, 'Complete')).toBeUndefined();
  });

  it('removes the pods of a Job deleted with Background propagation, through the garbage collector', async () => {
    await batch.createNamespacedJob({ namespace, body: job('deleted', { 'sluice.dev/fake-duration': '10m' }) });
    await eventually('a running pod', async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'job-name=deleted' });
      return pods.items.some((p) => p.status?.phase === 'Running') || undefined;
    });
    await batch.deleteNamespacedJob({ name: 'deleted', namespace, propagationPolicy: 'Background' });
    await eventually('the Job to be gone', async () => {
      try {
        await batch.readNamespacedJob({ name: 'deleted', namespace });
        return undefined;
      } catch (err) {
        return isNotFound(err) || undefined;
      }
    });
    await eventually('its pods to be gone', async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'job-name=deleted' });
      return pods.items.length === 0 || undefined;
    });
  });

  it('serves a CustomResourceDefinition with a working status subresource', async () => {
    const group = 'smoke.sluice.dev';
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                    status: { type: 'object', properties: { phase: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const created = await eventually('the CRD to be served', async () => {
      try {
        return (await custom.createNamespacedCustomObject({
          group, version: 'v1', namespace, plural: 'widgets',
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 }, status: { phase: 'ignored' } },
        })) as { status?: unknown };
      } catch {
        return undefined;
      }
    });
    // The main resource ignores status; only the status subresource writes it.
    expect(created.status).toBeUndefined();
    const current = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace, plural: 'widgets', name: 'w' })) as {
      metadata: { resourceVersion: string };
    };
    await custom.replaceNamespacedCustomObjectStatus({
      group, version: 'v1', namespace, plural: 'widgets', name: 'w',
      body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', resourceVersion: current.metadata.resourceVersion }, spec: { size: 99 }, status: { phase: 'Ready' } },
    });
    const after = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace, plural: 'widgets', name: 'w' })) as {
      spec: { size: number };
      status: { phase: string };
    };
    expect(after.status.phase).toBe('Ready');
    // ...and a status write cannot change spec.
    expect(after.spec.size).toBe(3);
  });
});
