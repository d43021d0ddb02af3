// The controller's work queue: dedup, no key to two workers at once, re-processing of a key added
// while in flight, delayed adds, per-key exponential back-off.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExponentialBackoff, WorkQueue } from "../../provider/controller/queue";
import { setTimeout as sleep } from "node:timers/promises";

test("back-off doubles per key from the base up to the cap, and forget resets it", () => {
  const b = new ExponentialBackoff(200, 5 * 60_000);
  const seen = Array.from({ length: 13 }, () => b.when("a"));
  assert.deepEqual(seen, [200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 102400, 204800, 300000, 300000]);
  assert.equal(b.when("b"), 200, "keys back off independently");
  assert.equal(b.retries("a"), 13);
  b.forget("a");
  assert.equal(b.retries("a"), 0);
  assert.equal(b.when("a"), 200);
  for (let i = 0; i < 2000; i++) b.when("c");
  assert.equal(b.when("c"), 300000, "stays finite after many failures");
});

test("a key added many times is queued once", async () => {
  const q = new WorkQueue();
  q.add("ns/a");
  q.add("ns/b");
  q.add("ns/a");
  q.add("ns/a");
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), "ns/a");
  assert.equal(await q.get(), "ns/b");
  assert.equal(q.len(), 0);
});

test("a key added while a worker holds it is not handed out twice, but again after done", async () => {
  const q = new WorkQueue();
  q.add("ns/a");
  const key = await q.get();
  assert.equal(key, "ns/a");
  q.add("ns/a");
  q.add("ns/a");
  assert.equal(q.len(), 0, "held by a worker: not queued for a second one");
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await sleep(5);
  assert.equal(second, undefined, "a waiting worker does not get the key in flight");
  q.done("ns/a");
  await sleep(0);
  assert.equal(second, "ns/a", "processed again after done");
  q.done("ns/a");
  assert.equal(q.len(), 0, "and only once");
});

test("a key not re-added is not handed out again after done", async () => {
  const q = new WorkQueue();
  q.add("ns/a");
  q.done((await q.get())!);
  assert.equal(q.len(), 0);
});

test("get waits for work and resolves undefined on shutdown", async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.add("ns/x");
  assert.equal(await waiting, "ns/x");
  const idle = q.get();
  q.shutDown();
  assert.equal(await idle, undefined);
  q.add("ns/y");
  assert.equal(await q.get(), undefined, "nothing is accepted after shutdown");
});

test("addAfter delays a key, and the earlier of two due times wins", async () => {
  const q = new WorkQueue();
  q.addAfter("ns/a", 10_000);
  q.addAfter("ns/a", 30);
  assert.equal(q.delayed(), 1);
  assert.equal(q.len(), 0);
  const t0 = Date.now();
  assert.equal(await q.get(), "ns/a");
  assert.ok(Date.now() - t0 >= 25, "not before its delay");
  assert.equal(q.delayed(), 0, "the later timer was dropped");
  q.addAfter("ns/b", 30);
  q.addAfter("ns/b", 10_000);
  assert.equal(await q.get(), "ns/b", "a later due time does not postpone an earlier one");
  q.shutDown();
});

test("addRateLimited re-adds after the key's growing back-off; forget resets it", async () => {
  const q = new WorkQueue(new ExponentialBackoff(20, 1000));
  assert.equal(q.addRateLimited("ns/a"), 20);
  assert.equal(await q.get(), "ns/a");
  q.done("ns/a");
  assert.equal(q.addRateLimited("ns/a"), 40);
  assert.equal(q.addRateLimited("ns/a"), 80, "counted even while a retry is pending");
  assert.equal(q.retries("ns/a"), 3);
  q.forget("ns/a");
  assert.equal(q.retries("ns/a"), 0);
  q.shutDown();
});

test("with several workers, each key is processed by one at a time and every add is seen", async () => {
  const q = new WorkQueue();
  const active = new Set<string>();
  const processed: string[] = [];
  /** Per key: the sequence number of its last add, and of the last add a worker had seen when it took the key. */
  const lastAdd = new Map<string, number>();
  const seenAdd = new Map<string, number>();
  let seq = 0;
  let overlap = false;
  /** A key whose worker must hold it until released: an add is then sure to land while it is in flight. */
  const gates = new Map<string, Promise<void>>();
  const worker = async () => {
    for (;;) {
      const k = await q.get();
      if (k === undefined) return;
      if (active.has(k)) overlap = true;
      active.add(k);
      seenAdd.set(k, lastAdd.get(k)!);
      await (gates.get(k) ?? sleep(Math.random() * 3));
      processed.push(k);
      active.delete(k);
      q.done(k);
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  for (let round = 0; round < 50; round++) {
    const k = `ns/${round % 5}`;
    lastAdd.set(k, ++seq);
    q.add(k);
    await sleep(Math.random() * 2);
  }
  const tick = () => new Promise((r) => setImmediate(r));
  /** Nothing queued, nothing held (not a fixed pause). */
  const drained = async () => {
    while (q.len() > 0 || active.size > 0) await tick();
  };
  // Last, each key is added once more while a worker holds it: that add must not be lost. The worker
  // that takes it waits at a gate, so it cannot finish before the second add (CI: ungated, a worker
  // took and finished the key between two polls of `active`, and the test waited for ever).
  for (let i = 0; i < 5; i++) {
    const k = `ns/${i}`;
    await drained();
    let release!: () => void;
    gates.set(k, new Promise<void>((r) => (release = r)));
    lastAdd.set(k, ++seq);
    q.add(k);
    while (!active.has(k)) await tick();
    lastAdd.set(k, ++seq);
    q.add(k);
    gates.delete(k);
    release();
  }
  // Then the last add of every key was handled.
  await drained();
  q.shutDown();
  await Promise.all(workers);
  assert.equal(overlap, false, "no key in two workers at once");
  for (const [k, n] of lastAdd) assert.equal(seenAdd.get(k), n, `${k}: a worker took it after its last add`);
  assert.ok(processed.length <= seq, "adds were deduplicated, not multiplied");
});
