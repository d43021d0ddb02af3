// The stack program under Pulumi's mocks: by default it declares one BitcoinNetwork per configured
// network and nothing from @pulumi/kubernetes; bad `regnet:networks` is refused naming the entry.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { regnetStack } from "../../infra/pulumi/stack";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { declared } from "../support/pulumi-mocks";
import type { NetworkInputs } from "../../provider/pulumi";

test("default stack: only BitcoinNetworks, with the configured namespace and kubeconfigPath as written", async () => {
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
  assert.equal(inputs[0].kubeconfigPath, ".regnet/kubeconfig");

  pulumi.runtime.setAllConfig({ "regnet:networks": JSON.stringify([{ name: "a" }, { name: "a" }]) });
  assert.throws(() => regnetStack(repoRoot), /networks\[1\].*"a" is used twice/);
  pulumi.runtime.setAllConfig({ "regnet:networks": JSON.stringify([{ nodes: 1 }]) });
  assert.throws(() => regnetStack(repoRoot), /networks\[0\] needs a name/);
});

test("a kubeconfig set without --secret is refused (it would be stored in plaintext); as a secret it is passed on", async () => {
  const config = { "regnet:networks": JSON.stringify([{ name: "alpha" }]), "regnet:kubeconfig": "apiVersion: v1" };
  pulumi.runtime.setAllConfig(config);
  assert.throws(() => regnetStack(repoRoot), /regnet:kubeconfig .*not a secret.*pulumi config set --secret regnet:kubeconfig/);
  const registered = await declared(config, undefined, ["regnet:kubeconfig"]);
  assert.equal(registered.length, 1);
  // Unset keys come as Pulumi.yaml's "" defaults: the same as absent.
  const unset = await declared({
    "regnet:networks": JSON.stringify([{ name: "alpha" }]),
    "regnet:kubeconfig": "",
    "regnet:kubeconfigPath": "",
  });
  assert.deepEqual([unset[0].inputs.kubeconfig, unset[0].inputs.kubeconfigPath], [undefined, undefined]);
});
