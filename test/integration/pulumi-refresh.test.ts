// `pulumi refresh` of a network whose StatefulSet was deleted out of band: the provider's read
// reports it gone and Pulumi drops it from state; the next `up` creates it again. A 0-node network
// needs no node runner, so this runs against the API server alone.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import { kubeConfig, kubeconfigPath } from "../support/cluster";
import { closeTestStack, networkResources, openTestStack, type TestStack } from "../support/pulumi";

let t: TestStack | undefined;
let ns: TestStack["ns"];
let stack: Stack;

before(async () => {
  t = await openTestStack("pulumi-refresh", "refresh", (namespace) => ({
    namespace,
    kubeconfigPath,
    networks: [{ name: "gone", nodes: 0, implementation: "btcd" }],
  }));
  ({ ns, stack } = t);
});

after(() => closeTestStack(t, { destroy: true }));

const tracked = async () => (await networkResources(stack)).length;

test("a network deleted by hand is dropped by refresh and recreated by up", async () => {
  await stack.up({ color: "never" });
  assert.equal(await tracked(), 1);
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  await apps.deleteNamespacedStatefulSet({ name: "gone", namespace: ns.name });

  const refresh = await stack.refresh({ color: "never" });
  assert.equal(refresh.summary.resourceChanges?.delete, 1, JSON.stringify(refresh.summary.resourceChanges));
  assert.equal(await tracked(), 0);

  const up = await stack.up({ color: "never" });
  assert.equal(up.summary.resourceChanges?.create, 1);
  assert.equal((await apps.readNamespacedStatefulSet({ name: "gone", namespace: ns.name })).spec?.replicas, 0);
});
