// The operator's every request to the API server, in one place. Objects travel as
// plain JSON (the generic custom-objects client serves built-in groups too), so
// what a list returns and what a watch delivers have the same shape. Each request
// waits for its turn in the request queue (rate limit, requests in flight,
// priority) and is reported to `observe` for the metrics.
import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type CoreV1Event, type HttpInfo, type KubeConfig } from '@kubernetes/client-node';
import { withConnectionPool } from './kubeconfig.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RequestQueue, type RequestPriority } from './request-queue.ts';

/** Requests in flight at once, each on a connection of its own; more wait in the request queue. */
const maxConnections = 64;

export interface Resource {
  group: string;
  version: string;
  plural: string;
}

export const resources = {
  workflows: { group: 'sluice.dev', version: 'v1alpha1', plural: 'workflows' },
  workflowRuns: { group: 'sluice.dev', version: 'v1alpha1', plural: 'workflowruns' },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs' },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' },
} as const satisfies Record<string, Resource>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continueToken: string | undefined;
}

export interface RequestRecord {
  verb: string;
  resource: string;
  code: number;
  seconds: number;
}

export function errorCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  return undefined;
}

export const isNotFound = (err: unknown) => errorCode(err) === 404;
export const isAlreadyExists = (err: unknown) => errorCode(err) === 409;
export const isConflict = isAlreadyExists;

/** The reason the API server gave, for logs and messages. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ClusterApi {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly queue: RequestQueue;
  private readonly observe: (record: RequestRecord) => void;

  constructor(kubeconfig: KubeConfig, options: { qps: number; burst: number; observe: (record: RequestRecord) => void }) {
    // Requests keep their connections (watches, long-lived, do not use this pool).
    const pooled = withConnectionPool(kubeconfig, maxConnections);
    this.custom = pooled.makeApiClient(CustomObjectsApi);
    this.core = pooled.makeApiClient(CoreV1Api);
    this.queue = new RequestQueue(new RateLimiter(options.qps, options.burst), maxConnections);
    this.observe = options.observe;
  }

  /** One request once its turn comes, recorded with the status code the API server answered. */
  private request<R>(verb: string, resource: string, call: () => Promise<HttpInfo<R>>, priority: RequestPriority = 'admission'): Promise<R> {
    return this.queue.run(priority, async () => {
      const started = performance.now();
      let code = 0;
      try {
        const response = await call();
        code = response.httpStatusCode;
        return response.data;
      } catch (err) {
        code = errorCode(err) ?? 0;
        throw err;
      } finally {
        this.observe({ verb, resource, code, seconds: (performance.now() - started) / 1000 });
      }
    });
  }

  watchPath(resource: Resource, namespace: string | undefined): string {
    const ns = namespace ? `/namespaces/${namespace}` : '';
    return `/apis/${resource.group}/${resource.version}${ns}/${resource.plural}`;
  }

  async list<T>(
    resource: Resource,
    namespace: string | undefined,
    options: { labelSelector?: string | undefined; limit: number; continueToken?: string | undefined },
  ): Promise<ListPage<T>> {
    const query = { labelSelector: options.labelSelector, limit: options.limit, _continue: options.continueToken };
    const list = (await this.request('list', resource.plural, () =>
      namespace
        ? this.custom.listNamespacedCustomObjectWithHttpInfo({ ...resource, namespace, ...query })
        : this.custom.listClusterCustomObjectWithHttpInfo({ ...resource, ...query }),
    )) as { items: T[]; metadata?: { resourceVersion?: string; continue?: string } };
    return {
      items: list.items,
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continueToken: list.metadata?.continue || undefined,
    };
  }

  /** The object, or undefined when it does not exist. */
  async get<T>(resource: Resource, namespace: string, name: string, priority?: RequestPriority): Promise<T | undefined> {
    try {
      return (await this.request(
        'get',
        resource.plural,
        () => this.custom.getNamespacedCustomObjectWithHttpInfo({ ...resource, namespace, name }),
        priority,
      )) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * The body is built when the request starts: thousands of creates can wait in
   * the request queue after a burst of admissions, and a waiting one holds no Job.
   */
  async create<T>(resource: Resource, namespace: string, body: () => object, priority?: RequestPriority): Promise<T> {
    return (await this.request('create', resource.plural, () => this.custom.createNamespacedCustomObjectWithHttpInfo({ ...resource, namespace, body: body() }), priority)) as T;
  }

  async replace<T>(resource: Resource, namespace: string, name: string, body: object, priority?: RequestPriority): Promise<T> {
    return (await this.request(
      'update',
      resource.plural,
      () => this.custom.replaceNamespacedCustomObjectWithHttpInfo({ ...resource, namespace, name, body }),
      priority,
    )) as T;
  }

  /**
   * Deletes with Background propagation (the garbage collector removes the
   * dependents). With `uid`, only that incarnation of the object is deleted.
   * Resolves false when the object was already gone.
   */
  async delete(resource: Resource, namespace: string, name: string, uid?: string): Promise<boolean> {
    try {
      await this.request('delete', resource.plural, () =>
        this.custom.deleteNamespacedCustomObjectWithHttpInfo({
          ...resource,
          namespace,
          name,
          propagationPolicy: 'Background',
          body: uid ? { preconditions: { uid } } : {},
        }),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** A JSON merge patch of the status subresource. */
  async patchStatus<T>(resource: Resource, namespace: string, name: string, patch: object, priority?: RequestPriority): Promise<T> {
    return (await this.request(
      'patch',
      `${resource.plural}/status`,
      () => this.custom.patchNamespacedCustomObjectStatusWithHttpInfo({ ...resource, namespace, name, body: patch }, mergePatch),
      priority,
    )) as T;
  }

  /** Events are written when no other request waits (request-queue.ts); the body is built then. */
  async createEvent(namespace: string, event: () => CoreV1Event): Promise<void> {
    await this.request('create', 'events', () => this.core.createNamespacedEventWithHttpInfo({ namespace, body: event() }), 'background');
  }
}
