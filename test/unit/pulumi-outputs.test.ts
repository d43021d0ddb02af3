// Outputs: inputs merged with the observation, node list sorted, undefined dropped.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { outputsOf } from "../../provider/pulumi/outputs";
import type { NetworkStatus, NodeStatus } from "../../provider/engine/types";

const node = (ordinal: number, patch: Partial<NodeStatus> = {}): NodeStatus => ({
  ordinal,
  pod: `alpha-${ordinal}`,
  ip: `10.244.0.${ordinal + 2}`,
  ready: true,
  peers: 2,
  expectedPeers: 2,
  height: 101,
  bestBlockHash: "00ab",
  version: "/btcd:0.26.2/",
  ...patch,
});
const status = (nodes: NodeStatus[], patch: Partial<NetworkStatus> = {}): NetworkStatus => ({
  nodes,
  readyNodes: nodes.filter((n) => n.ready).length,
  selector: "app.kubernetes.io/instance=alpha",
  wired: true,
  synced: true,
  height: 101,
  rpcSecretName: "alpha-rpc",
  conditions: [],
  ...patch,
});

test("outputs merge inputs with the observation, without __provider or undefined", () => {
  const outs = outputsOf(
    { name: "alpha", namespace: "ns", spec: { nodes: 3 }, __provider: "code", kubeconfigPath: undefined },
    status([node(2), node(0, { ip: undefined, height: undefined }), node(1)]),
  );
  assert.equal(outs.__provider, undefined);
  assert.ok(!("kubeconfigPath" in outs));
  assert.deepEqual(outs.spec, { nodes: 3 });
  const nodes = outs.nodes as Record<string, unknown>[];
  assert.deepEqual(
    nodes.map((n) => n.ordinal),
    [0, 1, 2],
  );
  assert.ok(!("ip" in nodes[0]) && !("height" in nodes[0]));
  assert.equal(outs.rpcSecretName, "alpha-rpc");
  assert.equal(outs.readyNodes, 3);
  assert.ok(!("conditions" in outs), "conditions stay out of state");
});
