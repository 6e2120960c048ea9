// The controller's view of the cluster: one informer per watched namespace (or
// one for all) for each resource, looked up by "namespace/name".
import { Informer, type InformerOptions, type KubeObject } from '../kubernetes/informer.ts';

/** An informer's options, for several namespaces at once. */
export interface CacheOptions<T> extends Omit<InformerOptions<T>, 'namespace'> {
  /** Empty: one informer for every namespace. */
  namespaces: readonly string[];
}

export class Cache<T extends KubeObject> {
  private readonly byNamespace = new Map<string, Informer<T>>();
  private readonly all: Informer<T> | undefined;

  constructor(options: CacheOptions<T>) {
    const make = (namespace: string | undefined) =>
      new Informer<T>({ ...options, name: `${options.name}${namespace ? `/${namespace}` : ''}`, namespace });
    if (options.namespaces.length === 0) this.all = make(undefined);
    for (const namespace of options.namespaces) this.byNamespace.set(namespace, make(namespace));
  }

  private informers(): Informer<T>[] {
    return this.all ? [this.all] : [...this.byNamespace.values()];
  }

  async start(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start()));
  }

  stop(): void {
    for (const informer of this.informers()) informer.stop();
  }

  get synced(): boolean {
    return this.informers().every((i) => i.synced);
  }

  get(key: string): T | undefined {
    if (this.all) return this.all.get(key);
    return this.byNamespace.get(key.slice(0, key.indexOf('/')))?.get(key);
  }

  *values(): IterableIterator<T> {
    for (const informer of this.informers()) yield* informer.values();
  }

  get size(): number {
    return this.informers().reduce((n, i) => n + i.size, 0);
  }
}
