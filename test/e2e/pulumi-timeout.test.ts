// A network that cannot converge within `convergeTimeoutSeconds`: `up` fails with the engine's
// node-by-node account of what is missing, the resource stays tracked in state (an initialization
// error, not an orphan in the cluster), the next `up` with time to spare completes it, and
// `destroy` removes everything.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import { kubeConfig, kubeconfigPath } from "../support/cluster";
import { closeTestStack, openTestStack, type TestStack } from "../support/pulumi";

let t: TestStack | undefined;
let ns: TestStack["ns"];
let stack: Stack;
const NETWORK = [{ name: "slow", nodes: 2, implementation: "btcd" }];

before(async () => {
  t = await openTestStack("pulumi-timeout", "timeout", (namespace) => ({ namespace, kubeconfigPath, networks: NETWORK, convergeTimeoutSeconds: 1 }));
  ({ ns, stack } = t);
});

after(() => closeTestStack(t));

test("a bounded wait that runs out names what each node lacks and keeps the resource tracked", async () => {
  const failed = await stack.up({ color: "never" }).then(
    () => "",
    (err: Error) => err.message,
  );
  process.stderr.write(`[pulumi-timeout] ${failed.split("\n").find((l) => l.includes("did not converge"))?.trim()}\n`);
  assert.match(failed, /did not converge within 1000 ms/);
  assert.match(failed, /node [01]\b.*(no pod yet|not Ready|peers|RPC not answering)|the network has no StatefulSet yet/);

  const state = await stack.exportStack();
  const res = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/regnet:BitcoinNetwork");
  assert.ok(res, "the network is in state despite the timeout");
  assert.equal(res.id, `${ns.name}/slow`);
  assert.ok((res.initErrors ?? []).length > 0, JSON.stringify(res.initErrors));

  await stack.setConfig("regnet:convergeTimeoutSeconds", { value: "300" });
  const up = await stack.up({ color: "never" });
  const net = (up.outputs.networks!.value as Record<string, { readyNodes: number; wired: boolean }>).slow!;
  assert.deepEqual([net.readyNodes, net.wired], [2, true]);

  await stack.destroy({ color: "never" });
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  assert.deepEqual((await apps.listNamespacedStatefulSet({ namespace: ns.name })).items, []);
});
