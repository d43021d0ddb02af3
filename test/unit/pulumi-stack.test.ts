// The stack program under Pulumi's mocks: by default it declares one BitcoinNetwork per configured
// network and nothing from @pulumi/kubernetes; bad `regnet:networks` is refused naming the entry.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { regnetStack } from "../../infra/pulumi/stack";
import { repoRoot } from "../../sandbox/toolchain/paths";

test("default stack: only BitcoinNetworks, with the configured namespace and an absolute kubeconfig path", async () => {
  const types: string[] = [];
  const inputs: Record<string, any>[] = [];
  pulumi.runtime.setAllConfig({
    "regnet:networks": JSON.stringify([{ name: "alpha", nodes: 3 }, { name: "beta", namespace: "other", nodes: 1 }]),
    "regnet:namespace": "ns",
    "regnet:kubeconfigPath": ".regnet/kubeconfig",
  });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        types.push(args.type);
        inputs.push(args.inputs);
        return { id: args.name, state: args.inputs };
      },
      call: () => ({}),
    },
    "regnet",
    "test",
    false,
  );
  const out = regnetStack(repoRoot);
  await new Promise<void>((resolve) => pulumi.output(out.networks).apply(() => resolve()));
  assert.deepEqual(types, ["pulumi-nodejs:dynamic/regnet:BitcoinNetwork", "pulumi-nodejs:dynamic/regnet:BitcoinNetwork"]);
  assert.deepEqual(inputs.map((i) => [i.name, i.namespace, i.spec.nodes]), [["alpha", "ns", 3], ["beta", "other", 1]]);
  assert.equal(inputs[0]!.kubeconfigPath, `${repoRoot}/.regnet/kubeconfig`);

  pulumi.runtime.setAllConfig({ "regnet:networks": JSON.stringify([{ name: "a" }, { name: "a" }]) });
  assert.throws(() => regnetStack(repoRoot), /networks\[1\].*"a" is used twice/);
  pulumi.runtime.setAllConfig({ "regnet:networks": JSON.stringify([{ nodes: 1 }]) });
  assert.throws(() => regnetStack(repoRoot), /networks\[0\] needs a name/);
});
