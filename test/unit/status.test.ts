// computeStatus: node list, readiness, wired (expected peers connected), synced (one tip), conditions
// with reasons, messages, observedGeneration and stable transition times.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type StatusInputs, computeStatus, networkLinks, nodeState } from "../../provider/engine/status";
import type { Condition } from "../../provider/engine/types";
import { nodeIp as ip, nodeView, type NodeSketch } from "../support/nodes";

const HASH = "aa".repeat(32);
const addr = (o: number) => `${ip(o)}:18444`;
/** Node `o`: a ready pod at height 101 that has added (connected) the nodes `added`, and the rest of `s`. */
const node = (o: number, added: number[] = [], s: NodeSketch = {}) =>
  nodeView(o, { height: 101, hash: HASH, version: "/btcd:0.26.2/", added: added.map(addr), ...s });
const now = new Date("2026-11-23T22:00:00Z");

function inputs(over: Partial<StatusInputs>): StatusInputs {
  return {
    name: "net",
    spec: { nodes: 3, topology: { type: "mesh" } },
    nodes: [node(0, [1, 2]), node(1, [2]), node(2)],
    rpcSecretName: "net-rpc",
    generation: 4,
    now,
    ...over,
  };
}

const cond = (conds: Condition[], type: string) => conds.find((c) => c.type === type)!;

test("a settled mesh of 3: ready, wired, synced", () => {
  const s = computeStatus(inputs({}));
  assert.equal(s.readyNodes, 3);
  assert.equal(s.wired, true);
  assert.equal(s.synced, true);
  assert.equal(s.height, 101);
  assert.equal(s.selector, "app.kubernetes.io/name=bitcoin-node,app.kubernetes.io/instance=net,regnet.dev/network=net");
  assert.equal(s.rpcSecretName, "net-rpc");
  assert.equal(s.observedGeneration, 4);
  assert.deepEqual(s.nodes[0], {
    ordinal: 0,
    pod: "net-0",
    ip: ip(0),
    ready: true,
    peers: 2,
    expectedPeers: 2,
    height: 101,
    bestBlockHash: HASH,
    version: "/btcd:0.26.2/",
  });
  // Node 2 dialled nobody but is connected to both (they dialled it).
  assert.equal(s.nodes[2].peers, 2);
  for (const type of ["Ready", "Wired", "Synced"]) {
    const c = cond(s.conditions, type);
    assert.equal(c.status, "True", type);
    assert.equal(c.observedGeneration, 4);
    assert.equal(c.lastTransitionTime, now.toISOString());
  }
  assert.equal(cond(s.conditions, "Synced").message, "3 nodes at height 101");
});

test("a missing peer: not wired, the message names the node and its count", () => {
  const s = computeStatus(inputs({ nodes: [node(0, [1]), node(1, [2]), node(2)] }));
  assert.equal(s.wired, false);
  assert.equal(s.synced, true);
  assert.deepEqual(
    s.nodes.map((n) => `${n.peers}/${n.expectedPeers}`),
    ["1/2", "2/2", "1/2"],
  );
  const w = cond(s.conditions, "Wired");
  assert.equal(w.status, "False");
  assert.equal(w.reason, "PeersMissing");
  assert.equal(w.message, "node 0: 1/2 peers; node 2: 1/2 peers");
});

test("connections seen in getpeerinfo (either direction) count too", () => {
  const bare = (o: number, peerIps?: string[]) => node(o, [], { peerIps });
  // 0-1 seen by node 0 (outbound), 0-2 seen only by node 2 (inbound), 1-2 seen by nobody.
  const s = computeStatus(inputs({ nodes: [bare(0, [ip(1)]), bare(1), bare(2, [ip(0)])] }));
  assert.deepEqual(
    s.nodes.map((n) => n.peers),
    [2, 1, 1],
  );
  assert.equal(s.wired, false);
  const all = computeStatus(inputs({ nodes: [bare(0, [ip(1), ip(2)]), bare(1, [ip(2)]), bare(2)] }));
  assert.equal(all.wired, true);
});

test("an added peer that is not connected does not count", () => {
  const s = computeStatus(inputs({ nodes: [node(0, [1, 2], { unconnected: [addr(2)] }), node(1, [2]), node(2)] }));
  assert.equal(s.wired, false);
  assert.equal(s.nodes[0].peers, 1);
});

test("a node not ready: expected peers are counted among ready nodes, conditions say why", () => {
  const s = computeStatus(inputs({ nodes: [node(0, [1, 2]), node(1, [2]), node(2, [], { ready: false })] }));
  assert.equal(s.readyNodes, 2);
  assert.deepEqual(
    s.nodes.map((n) => [n.ready, n.peers, n.expectedPeers]),
    [
      [true, 1, 1],
      [true, 1, 1],
      [false, 0, 0],
    ],
  );
  assert.equal(s.nodes[2].height, undefined, "facts of a not-ready node are not reported");
  assert.equal(s.wired, false);
  assert.equal(s.synced, false);
  const r = cond(s.conditions, "Ready");
  assert.equal(r.reason, "NodesNotReady");
  assert.equal(r.message, "2/3 nodes ready; node 2: not ready");
  assert.equal(cond(s.conditions, "Wired").reason, "NodesNotReady");
  assert.equal(cond(s.conditions, "Synced").reason, "NodesNotReady");
});

test("missing pods and pods without IPs are listed", () => {
  const s = computeStatus(inputs({ spec: { nodes: 4, topology: { type: "ring" } }, nodes: [node(0, [1, 2]), node(1, [], { ip: null })] }));
  assert.deepEqual(
    s.nodes.map((n) => n.pod),
    ["net-0", "net-1", "net-2", "net-3"],
  );
  assert.equal(s.nodes[1].ip, undefined);
  assert.equal(cond(s.conditions, "Ready").message, "1/4 nodes ready; node 1: pod has no IP yet; node 2: no pod yet; node 3: no pod yet");
});

test("two tips: not synced, heights listed; height is the highest", () => {
  const s = computeStatus(inputs({ nodes: [node(0, [1, 2]), node(1, [2], { height: 99, hash: "bb".repeat(32) }), node(2)] }));
  assert.equal(s.wired, true);
  assert.equal(s.synced, false);
  assert.equal(s.height, 101);
  const c = cond(s.conditions, "Synced");
  assert.equal(c.reason, "TipsDiffer");
  assert.equal(c.message, "node 0: height 101; node 1: height 99; node 2: height 101");
});

test("an unknown tip (RPC failed) is not synced", () => {
  const s = computeStatus(inputs({ nodes: [node(0, [1, 2]), node(1, [2]), node(2, [], { answered: false })] }));
  assert.equal(s.synced, false);
  assert.equal(cond(s.conditions, "Synced").reason, "TipUnknown");
  assert.equal(cond(s.conditions, "Synced").message, "node 2: tip unknown");
});

test("pods above spec.nodes (scaling down) are not reported", () => {
  const s = computeStatus(inputs({ spec: { nodes: 2, topology: { type: "mesh" } } }));
  assert.equal(s.nodes.length, 2);
  assert.equal(s.readyNodes, 2);
  assert.equal(s.wired, true);
});

test("zero nodes: trivially ready, wired and synced at height 0", () => {
  const s = computeStatus(inputs({ spec: { nodes: 0, topology: { type: "mesh" } }, nodes: [] }));
  assert.deepEqual([s.readyNodes, s.wired, s.synced, s.height, s.nodes.length], [0, true, true, 0, 0]);
});

test("lastTransitionTime is kept while a condition's status is unchanged", () => {
  const first = computeStatus(inputs({}));
  const later = new Date(now.getTime() + 60_000);
  const same = computeStatus(inputs({ previous: first.conditions, now: later }));
  assert.deepEqual(
    same.conditions.map((c) => c.lastTransitionTime),
    first.conditions.map((c) => c.lastTransitionTime),
  );
  const flipped = computeStatus(
    inputs({ previous: first.conditions, now: later, nodes: [node(0, [1, 2]), node(1, [2]), node(2, [], { ready: false })] }),
  );
  assert.equal(cond(flipped.conditions, "Ready").lastTransitionTime, later.toISOString());
});

test("long node lists are truncated in messages", () => {
  const n = 30;
  const s = computeStatus(inputs({ spec: { nodes: n, topology: { type: "ring" } }, nodes: [] }));
  const m = cond(s.conditions, "Ready").message;
  assert.match(m, /and 20 more$/);
});

test("without a generation (Pulumi), no observedGeneration anywhere", () => {
  const s = computeStatus(inputs({ generation: undefined }));
  assert.equal(s.observedGeneration, undefined);
  assert.ok(s.conditions.every((c) => c.observedGeneration === undefined));
});

test("networkLinks: every link the topology wants, connected only when both ends are ready and one sees the other", () => {
  // A ring of 4: 0-1 connected (added by 0), 1-2 missing, 2-3 connected (3 sees 2 inbound), 0-3 to a node that is down.
  const links = networkLinks(
    inputs({
      spec: { nodes: 4, topology: { type: "ring" } },
      nodes: [node(0, [1, 3]), node(1), node(2, [], { peerIps: [ip(3)] }), node(3, [], { ready: false })],
    }),
  );
  assert.deepEqual(links, [
    { a: 0, b: 1, connected: true },
    { a: 0, b: 3, connected: false },
    { a: 1, b: 2, connected: false },
    { a: 2, b: 3, connected: false },
  ]);
  // The status counts the same links among ready nodes: 1 of the 2 between 0, 1, 2.
  const s = computeStatus(
    inputs({
      spec: { nodes: 4, topology: { type: "ring" } },
      nodes: [node(0, [1, 3]), node(1, [], { answered: false }), node(2, [], { answered: false }), node(3, [], { ready: false })],
    }),
  );
  assert.deepEqual(
    s.nodes.map((n) => `${n.peers}/${n.expectedPeers}`),
    ["1/1", "1/2", "0/1", "0/0"],
  );
});

test("networkLinks: a settled mesh has all links connected, as status says wired", () => {
  const i = inputs({});
  assert.ok(networkLinks(i).every((l) => l.connected));
  assert.equal(networkLinks(i).length, 3);
  assert.equal(computeStatus(i).wired, true);
});

test("nodeState: down when not ready or not answering, lagging when behind the network's height, else ready", () => {
  const s = computeStatus(
    inputs({
      // node 2 answers nothing; node 3 is not ready; node 4 has no pod
      nodes: [node(0, [], { height: 105 }), node(1, [], { height: 101 }), node(2, [], { answered: false }), node(3, [], { ready: false })],
      spec: { nodes: 5, topology: { type: "mesh" } },
    }),
  );
  assert.deepEqual(
    s.nodes.map((n) => nodeState(n, s)),
    ["ready", "lagging", "down", "down", "down"],
  );
});
