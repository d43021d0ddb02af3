// Outputs: inputs merged with the observation, node list sorted, nulls dropped.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { outputsOf, type ObservedStatus } from "../../provider/pulumi/outputs";

const node = (ordinal: number, patch: Partial<ObservedStatus["nodes"][number]> = {}) => ({
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
const status = (nodes: ObservedStatus["nodes"], patch: Partial<ObservedStatus> = {}): ObservedStatus => ({
  nodes,
  readyNodes: nodes.filter((n) => n.ready).length,
  selector: "app.kubernetes.io/instance=alpha",
  wired: true,
  synced: true,
  height: 101,
  rpcSecretName: "alpha-rpc",
  ...patch,
});

test("outputs merge inputs with the observation, without __provider or undefined", () => {
  const outs = outputsOf(
    { name: "alpha", namespace: "ns", spec: { nodes: 3 }, __provider: "code", kubeconfigPath: undefined },
    status([node(2), node(0, { ip: null, height: null }), node(1)]),
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
});
