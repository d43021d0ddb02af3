// Reading from informer caches: the controller keeps caches of the objects networks own
// (StatefulSets, Services, Secrets, Pods) anyway, so its engine reads them there, and a reconcile of
// a settled network asks the API server only about names the caches do not hold. The Pulumi
// provider's engine reads the API server directly (it has no caches).
import type * as k8s from "@kubernetes/client-node";
import type { Kind, ObjectReader } from "./objects";

type Cache = Pick<k8s.ObjectCache<k8s.KubernetesObject>, "get" | "list">;
/** Informer caches by kind (of objects labelled as a network's). */
export type ObjectCaches = Partial<Record<Kind, Cache>>;

/** How many recent writes are remembered (a write is forgotten once the cache has caught up with it). */
const MAX_WRITES = 1024;

export class CachedReader implements ObjectReader {
  /** `<kind>/<namespace>/<name>` → what the engine last wrote, and the resourceVersions (undefined:
   * absent) the cache may still show until the watch delivers that write. */
  private readonly writes = new Map<string, { stale: Set<string | undefined>; now?: k8s.KubernetesObject }>();

  constructor(
    private readonly caches: ObjectCaches,
    /** Where a miss is confirmed (the API server). */
    private readonly live: ObjectReader,
  ) {}

  async get<T extends k8s.KubernetesObject>(kind: Kind, namespace: string, name: string): Promise<T | undefined> {
    const cache = this.caches[kind];
    if (!cache) return this.live.get<T>(kind, namespace, name);
    const cached = cache.get(name, namespace);
    const key = `${kind}/${namespace}/${name}`;
    const written = this.writes.get(key);
    if (written) {
      // Read your writes: until the watch delivers the engine's own write, the cache still holds
      // what was there before it, and the write is the newer of the two.
      if (written.stale.has(cached?.metadata?.resourceVersion)) return written.now as T | undefined;
      this.writes.delete(key);
    }
    // The caches hold labelled objects only; an object with the network's name but without regnet's
    // labels (a user's Secret, someone else's Service) must still be seen, so a miss asks the API server.
    return cached ? (cached as T) : this.live.get<T>(kind, namespace, name);
  }

  async list<T extends k8s.KubernetesObject>(kind: Kind, namespace: string | undefined, labelSelector: string): Promise<T[]> {
    const cache = this.caches[kind];
    if (!cache) return this.live.list<T>(kind, namespace, labelSelector);
    const want = labelSelector.split(",").filter(Boolean);
    return cache.list(namespace).filter((o) => want.every((term) => matches(o, term))) as T[];
  }

  wrote(kind: Kind, namespace: string, name: string, now: k8s.KubernetesObject | undefined): void {
    const cache = this.caches[kind];
    if (!cache) return;
    const key = `${kind}/${namespace}/${name}`;
    const earlier = this.writes.get(key);
    // What the cache held before, or (a second write before the watch delivered the first) the
    // versions it may still show: the one before the first write and the first write's own.
    const stale = earlier
      ? new Set([...earlier.stale, earlier.now?.metadata?.resourceVersion])
      : new Set([cache.get(name, namespace)?.metadata?.resourceVersion]);
    stale.delete(now?.metadata?.resourceVersion);
    this.writes.delete(key);
    if (this.writes.size >= MAX_WRITES) this.writes.delete(this.writes.keys().next().value!);
    this.writes.set(key, { stale, now });
  }
}

/** One term of the selectors the engine lists by: `key=value`, or `key` (the label exists). */
function matches(obj: k8s.KubernetesObject, term: string): boolean {
  const labels = obj.metadata?.labels ?? {};
  const i = term.indexOf("=");
  return i < 0 ? term in labels : labels[term.slice(0, i)] === term.slice(i + 1);
}

/** Several caches of one kind (one per namespace) read as one. */
export function unionCache(caches: Cache[]): Cache {
  return {
    get: (name, namespace) => caches.map((c) => c.get(name, namespace)).find((o) => o !== undefined),
    list: (namespace) => caches.flatMap((c) => c.list(namespace)),
  };
}
