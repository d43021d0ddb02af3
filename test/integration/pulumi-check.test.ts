// Bad input through the real Pulumi CLI (Automation API, inline program, file backend) against the
// sandbox's API server: `preview` and `up` fail naming the property, and nothing is created. Values
// unknown at preview are let through.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../infra/pulumi/automation";
import { NETWORK_TYPE, stateResources } from "../support/pulumi";
import { BitcoinNetwork } from "../../provider/pulumi";
import { kubeConfig, repoRoot, sandboxKubeconfig, tempNamespace } from "../support/cluster";

let ns: { name: string; cleanup: () => Promise<void> };
let stack: Stack;
let stateRoot: string;
const kubeconfigPath = process.env.KUBECONFIG ?? sandboxKubeconfig;

before(async () => {
  ns = await tempNamespace("pulumi-check");
  stateRoot = path.join(repoRoot, ".regnet", "test-pulumi", ns.name);
  stack = await openStack({
    stackName: "check",
    stateDir: path.join(stateRoot, "state"),
    config: { namespace: ns.name, kubeconfigPath, networks: [] },
  });
});

after(async () => {
  await ns.cleanup();
  fs.rmSync(stateRoot, { recursive: true, force: true });
});

async function regnetObjects(): Promise<string[]> {
  const kc = kubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const labelSelector = "app.kubernetes.io/managed-by=regnet";
  const found = [
    ...(await apps.listNamespacedStatefulSet({ namespace: ns.name, labelSelector })).items.map((o) => `sts/${o.metadata?.name}`),
    ...(await core.listNamespacedService({ namespace: ns.name, labelSelector })).items.map((o) => `svc/${o.metadata?.name}`),
    ...(await core.listNamespacedSecret({ namespace: ns.name, labelSelector })).items.map((o) => `secret/${o.metadata?.name}`),
    ...(await core.listNamespacedPod({ namespace: ns.name })).items.map((o) => `pod/${o.metadata?.name}`),
  ];
  return found;
}

const cases: { what: string; network: Record<string, unknown>; property: string }[] = [
  { what: "nodes = -1", network: { name: "bad", nodes: -1, implementation: "btcd" }, property: "spec.nodes" },
  { what: "chain mainnet", network: { name: "bad", chain: "main", implementation: "btcd" }, property: "spec.chain" },
  {
    what: "unknown topology",
    network: { name: "bad", nodes: 3, implementation: "btcd", topology: { type: "star" } },
    property: "spec.topology.type",
  },
  {
    what: "degree ≥ nodes",
    network: { name: "bad", nodes: 3, implementation: "btcd", topology: { type: "random", degree: 3 } },
    property: "spec.topology.degree",
  },
  { what: "a name that is no DNS label", network: { name: "Bad_Name", nodes: 1, implementation: "btcd" }, property: "name" },
];

for (const c of cases) {
  test(`${c.what}: preview and up fail naming ${c.property}; nothing is created`, async () => {
    await stack.setConfig("regnet:networks", { value: JSON.stringify([c.network]) });
    const preview = await stack.preview({ color: "never" }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    assert.ok(preview, "preview succeeded");
    assert.match(preview, new RegExp(`${c.property.replace(/\./g, "\\.")}`), preview);
    assert.match(preview, /BitcoinNetwork/);
    const up = await stack.up({ color: "never" }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    assert.ok(up, "up succeeded");
    assert.match(up, new RegExp(`${c.property.replace(/\./g, "\\.")}`));
    assert.deepEqual(await regnetObjects(), []);
    const types = (await stateResources(stack)).map((r) => r.type);
    assert.ok(!types.includes(NETWORK_TYPE), JSON.stringify(types));
  });
}

test("values unknown at preview are let through by check and diff", async () => {
  const unknownStack = await openStack({
    stackName: "unknowns",
    stateDir: path.join(stateRoot, "state"),
    config: {},
    program: async () => {
      // `nodes` and the name come from a resource that does not exist yet, so they are unknown at preview.
      const first = new BitcoinNetwork("first", { namespace: ns.name, kubeconfigPath, spec: { nodes: 1, implementation: "btcd" } });
      new BitcoinNetwork("second", {
        name: first.name.apply((n) => `${n}-b`),
        namespace: ns.name,
        kubeconfigPath,
        spec: { nodes: first.readyNodes, implementation: "btcd", topology: { type: "ring" } },
      });
      return {};
    },
  });
  const result = await unknownStack.preview({ color: "never" });
  assert.equal(result.changeSummary.create, 3, JSON.stringify(result.changeSummary)); // the stack + 2 networks
  assert.deepEqual(await regnetObjects(), []);
});
