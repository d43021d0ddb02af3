// The opt-in platform install, checked with Pulumi's mocks (the tests do not fetch the kubernetes
// resource plugin it needs): what the stack declares with and without `regnet:installPlatform`.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { declared } from "../support/pulumi-mocks";
import { CHARTS_DIR, PLATFORM_FILES } from "../../infra/cdk8s/defaults";

const networks = JSON.stringify([{ name: "alpha", nodes: 3, implementation: "btcd" }]);

test("installPlatform applies charts-out through an explicit k8s provider", async () => {
  const reg = await declared({
    "regnet:networks": networks,
    "regnet:namespace": "ns",
    "regnet:kubeconfigPath": "kc",
    "regnet:installPlatform": "true",
  });
  const provider = reg.find((r) => r.type === "pulumi:providers:kubernetes");
  assert.ok(provider, JSON.stringify(reg.map((r) => r.type)));
  assert.equal(provider.inputs.kubeconfig, path.join(repoRoot, "kc"));
  const group = reg.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup");
  assert.ok(group);
  assert.deepEqual(group.inputs.files, [...PLATFORM_FILES.map((f) => path.join(repoRoot, CHARTS_DIR, f))]);
  assert.match(group.provider ?? "", /pulumi:providers:kubernetes::regnet-platform/);
  const net = reg.find((r) => r.type === "pulumi-nodejs:dynamic/regnet:BitcoinNetwork");
  assert.ok(net);
  assert.equal(net.name, "alpha");
  assert.deepEqual(net.inputs.spec, { nodes: 3, implementation: "btcd" });
});
