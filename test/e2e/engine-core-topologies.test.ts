// Bitcoin Core networks through the engine at sizes and shapes where Core's own behaviour used to
// stall them: every topology the spec accepts at 15 nodes, a 30-node mesh (each node has more added
// peers than Core's 8 added-node slots), then scale down, a replaced node and scale up on it. Every
// network must be wired and synced at 101 within minutes — Core's headers-sync stall lasts 20-30
// minutes — and what the engine reports is checked with `bitcoin-cli` on the pod addresses: every
// node on one best block, connected to each of its topology peers.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { createEngine, type Engine, type NetworkStatus } from "../../provider/engine";
import { hostOf } from "../../provider/engine/node";
import { desiredEdges, expectedPeers } from "../../provider/engine/wiring/topology";
import { validateSpec, type BitcoinNetworkSpec, type BitcoinNetworkSpecInput } from "../../provider/spec";
import { bitcoinCliJson, coreNode } from "../support/bitcoin-cli";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { missing } from "../support/prereqs";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
let ns: { name: string; cleanup: () => Promise<void> };
let engine: Engine;

function spec(input: BitcoinNetworkSpecInput): BitcoinNetworkSpec {
  const r = validateSpec({ implementation: "bitcoin-core", ...input });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

/** Converges, printing the time and a line whenever the summary changes. */
async function converge(name: string, s: BitcoinNetworkSpec, timeoutMs: number): Promise<NetworkStatus> {
  const t = Date.now();
  let last = "";
  const status = await engine.converge({ name, namespace: ns.name }, s, {
    timeoutSeconds: timeoutMs / 1000,
    onProgress: (st) => {
      const line = `ready ${st.readyNodes}/${s.nodes}, wired ${st.wired}, synced ${st.synced}, height ${st.height}`;
      if (line !== last) console.log(`# ${name} +${((Date.now() - t) / 1000).toFixed(1)} s: ${line}`);
      last = line;
    },
  });
  console.log(`# timing: ${name} (${s.topology.type}, ${s.nodes} nodes) → wired + synced: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return status;
}

/** What the nodes say for themselves: one best block at the network's height, every topology peer connected. */
async function checkWithCli(name: string, s: BitcoinNetworkSpec, status: NetworkStatus): Promise<void> {
  const edges = desiredEdges(s.topology, s.nodes);
  const ips = new Map(status.nodes.map((n) => [n.ordinal, n.ip!]));
  const views = await Promise.all(
    status.nodes.map(async (n) => {
      const node = await coreNode(kc, ns.name, n.pod, `${name}-rpc`);
      const [chain, peers] = await Promise.all([
        bitcoinCliJson<{ chain: string; blocks: number; bestblockhash: string }>(node, ["getblockchaininfo"]),
        bitcoinCliJson<{ addr: string }[]>(node, ["getpeerinfo"]),
      ]);
      return { ordinal: n.ordinal, chain, peerIps: new Set(peers.map((p) => hostOf(p.addr))) };
    }),
  );
  for (const v of views) {
    assert.equal(v.chain.chain, "regtest");
    assert.equal(v.chain.blocks, status.height, `node ${v.ordinal} (bitcoin-cli) at the network's height`);
    assert.equal(v.chain.bestblockhash, views[0].chain.bestblockhash, `node ${v.ordinal} on node 0's best block`);
    for (const peer of expectedPeers(edges, v.ordinal)) {
      assert.ok(
        v.peerIps.has(ips.get(peer)!),
        `node ${v.ordinal} (bitcoin-cli getpeerinfo) is connected to its topology peer ${peer} at ${ips.get(peer)}`,
      );
    }
  }
}

function assertConverged(status: NetworkStatus, nodes: number) {
  assert.equal(status.readyNodes, nodes);
  assert.ok(status.wired && status.synced, "wired and synced");
  assert.ok(status.height >= 101, `height ${status.height} ≥ 101`);
  for (const n of status.nodes) assert.equal(n.peers, n.expectedPeers, `node ${n.ordinal}: ${n.peers}/${n.expectedPeers} peers`);
}

describe("Bitcoin Core: every topology and a 30-node mesh converge", { skip: missing("bitcoin-core"), concurrency: false }, () => {
  before(async () => {
    ns = await tempNamespace("core-topo");
    engine = createEngine({ kubeConfig: kc, rpcAccess: "direct" });
  });

  after(async () => {
    await engine?.close();
    await ns?.cleanup();
  });

  const shapes: [string, BitcoinNetworkSpecInput["topology"]][] = [
    ["mesh", { type: "mesh" }],
    ["ring", { type: "ring" }],
    ["random", { type: "random", degree: 3, seed: 5 }],
    // A binary tree: node i links to its parent (i - 1) / 2, so most nodes have three peers and the
    // leaves only one — Core nodes several hops from node 0 must still get the chain.
    ["edges", { type: "edges", edges: Array.from({ length: 14 }, (_, i) => [Math.floor(i / 2), i + 1] as [number, number]) }],
  ];
  for (const [name, topology] of shapes) {
    it(`${name}, 15 nodes: wired and synced at 101, as bitcoin-cli sees it`, async () => {
      const s = spec({ nodes: 15, topology });
      const status = await converge(name, s, 180_000);
      assertConverged(status, 15);
      assert.equal(status.height, 101, "the initial blocks mined once");
      await checkWithCli(name, s, status);
      await engine.destroy({ name, namespace: ns.name }, { wait: true, timeoutMs: 120_000 });
    });
  }

  it("mesh of 30 → scale down to 5 → a node replaced → scale up to 12: synced at each step", async () => {
    const name = "big";
    const ref = { name, namespace: ns.name };
    const thirty = spec({ nodes: 30 });
    const status = await converge(name, thirty, 300_000);
    assertConverged(status, 30);
    assert.ok(status.nodes.every((n) => n.expectedPeers === 29));
    await checkWithCli(name, thirty, status);

    const five = spec({ nodes: 5 });
    const down = await converge(name, five, 180_000);
    assertConverged(down, 5);
    await checkWithCli(name, five, down);

    // Node 2 replaced: a new process with an empty chain (emptyDir), perhaps a new IP.
    const oldUid = (await core.readNamespacedPod({ name: `${name}-2`, namespace: ns.name })).metadata?.uid;
    await core.deleteNamespacedPod({ name: `${name}-2`, namespace: ns.name, gracePeriodSeconds: 0 });
    await waitFor(`${name}-2 replaced`, async () => {
      const p = await core.readNamespacedPod({ name: `${name}-2`, namespace: ns.name }).catch(() => undefined);
      return !!p && p.metadata?.uid !== oldUid && !p.metadata?.deletionTimestamp;
    });
    const replaced = await converge(name, five, 180_000);
    assertConverged(replaced, 5);
    await checkWithCli(name, five, replaced);

    const twelve = spec({ nodes: 12 });
    const up = await converge(name, twelve, 180_000);
    assertConverged(up, 12);
    assert.equal(up.height, 101, "no second bootstrap: the new nodes got the existing chain");
    await checkWithCli(name, twelve, up);
    await engine.destroy(ref, { wait: true, timeoutMs: 120_000 });
  });
});
