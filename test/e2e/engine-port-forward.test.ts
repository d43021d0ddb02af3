// The same engine reaching its nodes only through the API server's port-forward
// (rpcAccess: "port-forward"), as it must from outside a cluster whose pod IPs it cannot route:
// a 3-node btcd ring converges at height ≥ 101, a no-op reconcile writes nothing, and node 0,
// deleted, comes back re-wired and synced from its peers without a second bootstrap; scale 3 → 2
// leaves a wired pair. The same for a 2-node Bitcoin Core network (no scaling).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { createEngine, type Engine, type NetworkStatus } from "../../provider/engine";
import { validateSpec, type BitcoinNetworkSpec } from "../../provider/spec";
import { readCredentials } from "../../provider/engine/desired";
import { RpcClient } from "../../provider/rpc";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { missing } from "../support/prereqs";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
let ns: { name: string; cleanup: () => Promise<void> };
let engine: Engine;

const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t = Date.now();
  const out = await fn();
  console.log(`# timing: ${label}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return out;
};
/** Prints a line whenever what converge reports changes. */
const progressOf = (label: string) => {
  let last = "";
  return (s: NetworkStatus) => {
    const line = `ready ${s.readyNodes}, wired ${s.wired}, synced ${s.synced}, height ${s.height}, peers ${s.nodes.map((n) => `${n.peers}/${n.expectedPeers}`).join(" ")}`;
    if (line !== last) console.log(`# ${label}: ${line}`);
    last = line;
  };
};

/** Deletes `pod` and waits until its replacement (a new UID) exists. */
async function replacePod(pod: string): Promise<void> {
  const uid = (await core.readNamespacedPod({ name: pod, namespace: ns.name })).metadata?.uid;
  await core.deleteNamespacedPod({ name: pod, namespace: ns.name, gracePeriodSeconds: 0 });
  await waitFor(
    `${pod} replaced`,
    async () => {
      const p = await core.readNamespacedPod({ name: pod, namespace: ns.name }).catch(() => undefined);
      return !!p && p.metadata?.uid !== uid && !p.metadata?.deletionTimestamp;
    },
    { timeoutMs: 60_000 },
  );
}

before(async () => {
  ns = await tempNamespace("engine-pf");
  engine = createEngine({ kubeConfig: kc, rpcAccess: "port-forward" });
});

after(async () => {
  await engine.close();
  await ns.cleanup();
});

test("over port-forward: a 3-node ring converges, a no-op reconcile writes nothing, a deleted pod is re-wired", async () => {
  const ref = { name: "pf", namespace: ns.name };
  const r = validateSpec({ nodes: 3, implementation: "btcd", topology: { type: "ring" } });
  assert.ok(r.ok);
  const s: BitcoinNetworkSpec = r.spec;
  const progress = progressOf("pf ring");
  const status = await timed("3-node ring over port-forward → wired + synced", () =>
    engine.converge(ref, s, { timeoutSeconds: 120, onProgress: progress }),
  );
  assert.equal(status.readyNodes, 3);
  assert.ok(status.wired && status.synced && status.height >= 101, JSON.stringify(status.conditions));

  const before = engine.rpcCounters();
  const noop = await timed("no-op reconcile over port-forward", () => engine.reconcile(ref, s));
  assert.deepEqual(noop.changes, []);
  assert.equal(engine.rpcCounters().writes - before.writes, 0);
  assert.ok(engine.rpcCounters().reads > before.reads);

  await replacePod("pf-0");
  const again = await timed("pf-0 deleted → re-wired over port-forward", () =>
    engine.converge(ref, s, { timeoutSeconds: 120, onProgress: progress }),
  );
  assert.ok(again.wired && again.synced);
  // Node 0 came back with an empty chain: it synced from its peers and was not made to mine again.
  assert.equal(again.height, 101);
  assert.deepEqual(
    again.nodes.map((n) => n.peers),
    [2, 2, 2],
  );

  // Scale 3 → 2: node 0 keeps only node 1 as its peer.
  const departed = `${again.nodes[2].ip}:18444`;
  const r2 = validateSpec({ nodes: 2, implementation: "btcd", topology: { type: "ring" } });
  assert.ok(r2.ok);
  const two = await timed("pf ring scale 3 → 2 → converged", () =>
    engine.converge(ref, r2.spec, { timeoutSeconds: 120, onProgress: progress }),
  );
  assert.deepEqual(
    two.nodes.map((n) => `${n.peers}/${n.expectedPeers}`),
    ["1/1", "1/1"],
  );
  assert.ok(two.wired && two.synced && two.height === 101);
  // Ask node 0 itself, over a port-forward of its own.
  const c = readCredentials(await core.readNamespacedSecret({ name: "pf-rpc", namespace: ns.name }))!;
  const probe = new RpcClient({ kubeConfig: kc, access: "port-forward" });
  const added = await probe.node({ namespace: ns.name, pod: "pf-0", ip: two.nodes[0].ip!, implementation: "btcd" }, c).addedPeers();
  await probe.close();
  assert.deepEqual(
    added.map((a) => a.address),
    [`${two.nodes[1].ip}:18444`],
  );
  assert.ok(!added.some((a) => a.address === departed));
  await engine.destroy(ref, { wait: true, timeoutMs: 60_000 });
});

test(
  "over port-forward: a 2-node Bitcoin Core network converges, a no-op reconcile writes nothing, a deleted pod is re-wired",
  { skip: missing("bitcoin-core") },
  async () => {
    const ref = { name: "pfcore", namespace: ns.name };
    const r = validateSpec({ nodes: 2, implementation: "bitcoin-core" });
    assert.ok(r.ok);
    const s = r.spec;
    const progress = progressOf("pf core");
    const status = await timed("2-node Core network over port-forward → wired + synced", () =>
      engine.converge(ref, s, { timeoutSeconds: 300, onProgress: progress }),
    );
    assert.ok(status.wired && status.synced && status.height >= 101, JSON.stringify(status.conditions));
    for (const n of status.nodes) assert.match(n.version ?? "", /^\/Satoshi:/);

    const before = engine.rpcCounters();
    const apiBefore = engine.apiWrites();
    const noop = await timed("no-op reconcile of Core over port-forward", () => engine.reconcile(ref, s));
    assert.deepEqual(noop.changes, []);
    assert.equal(engine.apiWrites() - apiBefore, 0);
    assert.equal(engine.rpcCounters().writes - before.writes, 0);
    assert.ok(engine.rpcCounters().reads > before.reads);

    // Node 0 comes back with an empty chain and dials node 1 again, which serves it the chain.
    await replacePod("pfcore-0");
    const again = await timed("pfcore-0 deleted → re-wired over port-forward", () =>
      engine.converge(ref, s, { timeoutSeconds: 300, onProgress: progress }),
    );
    assert.ok(again.wired && again.synced);
    assert.equal(again.height, 101, "no second bootstrap");
    assert.deepEqual(
      again.nodes.map((n) => n.peers),
      [1, 1],
    );

    // Ask the nodes themselves, over port-forwards of their own: node 0 dialled node 1, which sees
    // it inbound from node 0's pod IP.
    const c = readCredentials(await core.readNamespacedSecret({ name: "pfcore-rpc", namespace: ns.name }))!;
    const probe = new RpcClient({ kubeConfig: kc, access: "port-forward" });
    const ops = (i: number) =>
      probe.node({ namespace: ns.name, pod: again.nodes[i].pod, ip: again.nodes[i].ip!, implementation: "bitcoin-core" }, c);
    const [s0, s1] = await Promise.all([ops(0).snapshot({ version: false }), ops(1).snapshot({ version: false })]);
    await probe.close();
    assert.deepEqual(s0.added, [{ address: `${again.nodes[1].ip}:18444`, connected: true }]);
    assert.ok(
      s1.peers.some((p) => p.inbound && p.addr.startsWith(`${again.nodes[0].ip}:`)),
      JSON.stringify(s1.peers),
    );
    await engine.destroy(ref, { wait: true, timeoutMs: 60_000 });
  },
);
