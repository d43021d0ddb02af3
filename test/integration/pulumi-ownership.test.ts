// A name that is taken by an object regnet does not own: `up` fails saying so, leaves the foreign
// object alone, creates nothing, and tracks nothing in state.
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
  t = await openTestStack("pulumi-owner", "owner", (namespace) => ({
    namespace,
    kubeconfigPath,
    networks: [{ name: "taken", nodes: 0, implementation: "btcd" }],
  }));
  ({ ns, stack } = t);
});

after(() => closeTestStack(t));

test("up refuses to take over a foreign object of the same name and tracks nothing", async () => {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  const foreign = await core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name: "taken", labels: { team: "someone-else" } }, spec: { ports: [{ port: 80 }] } },
  });

  const failed = await stack.up({ color: "never" }).then(
    () => "",
    (err: Error) => err.message,
  );
  assert.match(failed, /taken/);
  assert.match(failed, /Service/);

  assert.deepEqual(await networkResources(stack), []);
  const after = await core.readNamespacedService({ name: "taken", namespace: ns.name });
  assert.equal(after.metadata?.resourceVersion, foreign.metadata?.resourceVersion);
  assert.deepEqual((await apps.listNamespacedStatefulSet({ namespace: ns.name })).items, []);
  const secrets = await core.listNamespacedSecret({ namespace: ns.name, labelSelector: "app.kubernetes.io/managed-by=regnet" });
  assert.deepEqual(secrets.items, []);
});
