// A list-then-watch cache of one resource, rebuilt from the API server and kept
// current by a watch. Its vocabulary: `upsert` and `delete` of objects (never
// "add" versus "update": the reconcilers read the cache, not the event), and
// `synced` once the first list is in. A watch that ends reconnects from the last
// resource version; 410 Gone or any error relists (with backoff); a periodic
// relist is the safety net against a watch that goes silent.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ClusterApi, ListPage, ObjectMeta, Resource } from './cluster-api.ts';

export interface KubeObject {
  metadata: ObjectMeta;
}

export interface InformerOptions<T> {
  name: string;
  kubeconfig: KubeConfig;
  api: ClusterApi;
  resource: Resource;
  /** Undefined watches every namespace. */
  namespace: string | undefined;
  labelSelector?: string;
  /** Slims an object before it is cached: drop what the reconcilers never read. */
  transform?: (obj: T) => T;
  relistIntervalMs: number;
  logger: Logger;
  /** `key` is the object's "namespace/name", the one string the cache keys it by: holders of many keys keep this copy. */
  onUpsert: (obj: T, key: string) => void;
  onDelete: (obj: T, key: string) => void;
}

const pageSize = 500;
const maxBackoffMs = 30_000;

export function objectKey(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly sharedValues = new Map<string, string>();
  private readonly options: InformerOptions<T>;
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private stopped = false;
  private failures = 0;
  private relistTimer: NodeJS.Timeout | undefined;
  private hasSynced = false;
  private syncWaiters: (() => void)[] = [];

  constructor(options: InformerOptions<T>) {
    this.options = options;
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  values(): IterableIterator<T> {
    return this.store.values();
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.stopped = false;
    const synced = new Promise<void>((resolve) => this.syncWaiters.push(resolve));
    void this.relist();
    this.relistTimer = setInterval(() => {
      this.options.logger.debug({ informer: this.options.name }, 'periodic relist');
      this.resourceVersion = '';
      this.abort?.abort();
    }, this.options.relistIntervalMs);
    this.relistTimer.unref();
    return synced;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.relistTimer);
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const seen = new Set<string>();
      let continueToken: string | undefined;
      let page: ListPage<T>;
      do {
        page = await this.options.api.list<T>(this.options.resource, this.options.namespace, {
          labelSelector: this.options.labelSelector,
          limit: pageSize,
          continueToken,
        });
        for (const obj of page.items) {
          seen.add(this.upsert(obj));
        }
        continueToken = page.continueToken;
      } while (continueToken);
      for (const [key, obj] of this.store) {
        if (!seen.has(key)) {
          this.store.delete(key);
          this.options.onDelete(obj, key);
        }
      }
      this.resourceVersion = page.resourceVersion;
      this.failures = 0;
      if (!this.hasSynced) {
        this.hasSynced = true;
        for (const resolve of this.syncWaiters.splice(0)) resolve();
      }
      await this.watch();
    } catch (err) {
      this.retryLater(err, 'list failed');
    }
  }

  /** Returns the object's key. */
  private upsert(obj: T): string {
    const key = objectKey(obj.metadata);
    if (this.store.get(key)?.metadata.resourceVersion === obj.metadata.resourceVersion) return key;
    // managedFields are never read, and are the larger part of a small object: as
    // controller-runtime's TransformStripManagedFields, they are not cached. (A new
    // metadata object, not `delete`, which would leave it a slow dictionary.)
    if ('managedFields' in obj.metadata) {
      const { managedFields: _, ...metadata } = obj.metadata as ObjectMeta & { managedFields?: unknown };
      obj.metadata = metadata;
    }
    // Every object of a list or watch event brings its own copy of these few values:
    // one shared copy each saves tens of bytes per cached object.
    const typed = obj as T & { apiVersion?: string; kind?: string };
    if (typed.apiVersion !== undefined) typed.apiVersion = this.shared(typed.apiVersion);
    if (typed.kind !== undefined) typed.kind = this.shared(typed.kind);
    if (obj.metadata.namespace !== undefined) obj.metadata.namespace = this.shared(obj.metadata.namespace);
    const cached = this.options.transform ? this.options.transform(obj) : obj;
    this.store.set(key, cached);
    this.options.onUpsert(cached, key);
    return key;
  }

  /** The one copy of a value that repeats across objects (API version, kind, namespace: few distinct values). */
  private shared(value: string): string {
    const known = this.sharedValues.get(value);
    if (known !== undefined) return known;
    this.sharedValues.set(value, value);
    return value;
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const watch = new Watch(this.options.kubeconfig);
    const done = (err: unknown) => {
      this.abort = undefined;
      if (this.stopped) return;
      const code = (err as { statusCode?: number; code?: number } | null)?.statusCode ?? (err as { code?: number } | null)?.code;
      if (code === 410) this.resourceVersion = '';
      if (err && code !== 410 && (err as { name?: string }).name !== 'TimeoutError' && (err as { name?: string }).name !== 'AbortError') {
        this.retryLater(err, 'watch failed');
        return;
      }
      if (this.resourceVersion === '') void this.relist();
      else void this.watch();
    };
    this.abort = await watch.watch(
      this.options.api.watchPath(this.options.resource, this.options.namespace),
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, labelSelector: this.options.labelSelector },
      (type: string, obj: T & { code?: number }) => this.onWatchEvent(type, obj),
      done,
    );
  }

  private onWatchEvent(type: string, obj: T & { code?: number }): void {
    if (type === 'ERROR') {
      // The server ends the watch after an ERROR; `done` relists on 410 Gone.
      if (obj.code === 410) this.resourceVersion = '';
      return;
    }
    this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') this.upsert(obj);
    else if (type === 'DELETED') {
      const key = objectKey(obj.metadata);
      if (this.store.delete(key)) this.options.onDelete(obj, key);
    }
  }

  private retryLater(err: unknown, what: string): void {
    if (this.stopped) return;
    this.failures += 1;
    const delay = Math.min(maxBackoffMs, 500 * 2 ** Math.min(this.failures - 1, 6));
    this.options.logger.warn(
      { informer: this.options.name, err: err instanceof Error ? err.message : String(err), retryInMs: delay },
      `${what}; retrying`,
    );
    this.resourceVersion = '';
    setTimeout(() => void this.relist(), delay).unref();
  }
}
