// The controller engine's reads from informer caches (provider/kube/cached-reader.ts): hits served
// from the cache, misses confirmed with the API server, and the engine's own writes seen at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as k8s from "@kubernetes/client-node";
import { CachedReader } from "../../provider/kube/cached-reader";
import type { Kind, ObjectReader } from "../../provider/kube";

type Obj = k8s.KubernetesObject;
const obj = (name: string, rv: string, labels: Record<string, string> = {}): Obj => ({
  kind: "StatefulSet",
  metadata: { name, namespace: "ns", resourceVersion: rv, labels },
});

/** An informer cache stand-in: what the watch has delivered so far. */
class FakeCache {
  readonly objects = new Map<string, Obj>();
  put(o: Obj) {
    this.objects.set(o.metadata!.name!, o);
  }
  drop(name: string) {
    this.objects.delete(name);
  }
  get = (name: string) => this.objects.get(name);
  list = () => [...this.objects.values()];
}

/** The API server stand-in: counts reads, answers from `objects`. */
function live(objects: Record<string, Obj> = {}) {
  const calls: string[] = [];
  const reader: ObjectReader = {
    get: <T extends Obj>(kind: Kind, _ns: string, name: string) => {
      calls.push(`get ${kind} ${name}`);
      return Promise.resolve(objects[name] as T | undefined);
    },
    list: <T extends Obj>(kind: Kind) => {
      calls.push(`list ${kind}`);
      return Promise.resolve(Object.values(objects) as T[]);
    },
  };
  return { reader, calls };
}

const rv = (o: Obj | undefined) => o?.metadata?.resourceVersion;

test("a cached object is read from the cache; a kind without a cache and a miss ask the API server", async () => {
  const cache = new FakeCache();
  cache.put(obj("a", "1"));
  const api = live({ foreign: obj("foreign", "7") });
  const r = new CachedReader({ StatefulSet: cache }, api.reader);
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "1");
  assert.deepEqual(api.calls, []);
  // Someone else's object with a network's name carries no regnet labels: only the API server has it.
  assert.equal(rv(await r.get("StatefulSet", "ns", "foreign")), "7");
  assert.equal(await r.get("Service", "ns", "a"), undefined);
  assert.deepEqual(api.calls, ["get StatefulSet foreign", "get Service a"]);
});

test("list filters the cache by the equality selector", async () => {
  const cache = new FakeCache();
  cache.put(obj("x-0", "1", { net: "x", app: "node" }));
  cache.put(obj("y-0", "2", { net: "y", app: "node" }));
  const api = live();
  const r = new CachedReader({ StatefulSet: cache }, api.reader);
  assert.deepEqual(
    (await r.list("StatefulSet", "ns", "app=node,net=x")).map((o) => o.metadata?.name),
    ["x-0"],
  );
  assert.deepEqual(api.calls, []);
});

test("the engine's own writes are read back before the watch delivers them", async () => {
  const cache = new FakeCache();
  const api = live();
  const r = new CachedReader({ StatefulSet: cache }, api.reader);

  // Created: not in the cache yet, and no API read needed to see it.
  r.wrote("StatefulSet", "ns", "a", obj("a", "5"));
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "5");
  cache.put(obj("a", "5"));
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "5");

  // Updated twice before the watch caught up with the first: the last write wins until the cache moves on.
  r.wrote("StatefulSet", "ns", "a", obj("a", "6"));
  r.wrote("StatefulSet", "ns", "a", obj("a", "7"));
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "7");
  cache.put(obj("a", "6"));
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "7", "the cache still lags behind the second write");
  cache.put(obj("a", "7"));
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "7");
  // Then someone else changes it: the cache is the truth again.
  cache.put(obj("a", "9"));
  assert.equal(rv(await r.get("StatefulSet", "ns", "a")), "9");

  // Deleted: gone at once, though the cache still holds it.
  r.wrote("StatefulSet", "ns", "a", undefined);
  assert.equal(await r.get("StatefulSet", "ns", "a"), undefined);
  cache.drop("a");
  assert.equal(await r.get("StatefulSet", "ns", "a"), undefined);
  assert.deepEqual(api.calls, ["get StatefulSet a"], "once the cache has caught up, a miss is asked again");
});
