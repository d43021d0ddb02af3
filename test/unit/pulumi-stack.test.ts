// The stack program under Pulumi's mocks: by default it declares one BitcoinNetwork per configured
// network and nothing from @pulumi/kubernetes; bad `regnet:networks` is refused naming the entry.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { regnetStack } from "../../infra/pulumi/stack";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { declared } from "../support/pulumi-mocks";
import type { NetworkInputs } from "../../provider/pulumi";

test("default stack: only BitcoinNetworks, with the configured namespace and an absolute kubeconfig path", async () => {
  const registered = await declared({
    "regnet:networks": JSON.stringify([
      { name: "alpha", nodes: 3 },
      { name: "beta", namespace: "other", nodes: 1 },
    ]),
    "regnet:namespace": "ns",
    "regnet:kubeconfigPath": ".regnet/kubeconfig",
  });
  const types = registered.map((r) => r.type);
  const inputs = registered.map((r) => r.inputs as unknown as NetworkInputs);
  assert.deepEqual(types, ["pulumi-nodejs:dynamic/regnet:BitcoinNetwork", "pulumi-nodejs:dynamic/regnet:BitcoinNetwork"]);
  assert.deepEqual(
    inputs.map((i) => [i.name, i.namespace, i.spec.nodes]),
    [
      ["alpha", "ns", 3],
      ["beta", "other", 1],
    ],
  );
  assert.equal(inputs[0].kubeconfigPath, `${repoRoot}/.regnet/kubeconfig`);

  pulumi.runtime.setAllConfig({ "regnet:networks": JSON.stringify([{ name: "a" }, { name: "a" }]) });
  assert.throws(() => regnetStack(repoRoot), /networks\[1\].*"a" is used twice/);
  pulumi.runtime.setAllConfig({ "regnet:networks": JSON.stringify([{ nodes: 1 }]) });
  assert.throws(() => regnetStack(repoRoot), /networks\[0\] needs a name/);
});
