// Kubeconfig contents given as a secret (`regnet:kubeconfig`) reach the provider but are stored only
// encrypted: in the stack's config, in the resource's inputs and (additionalSecretOutputs) outputs.
// A 0-node network needs no node runner, so this runs against the API server alone.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { kubeconfigPath } from "../support/cluster";
import { closeTestStack, NETWORK_TYPE, openTestStack, resourcesOf, type TestStack } from "../support/pulumi";

const SECRET_SIG = "4dabf18193072939515e22adb298388d"; // Pulumi's marker for a secret value in state
let t: TestStack | undefined;
let stack: Stack;
let root: string;
const contents = fs.readFileSync(kubeconfigPath, "utf8");

before(async () => {
  t = await openTestStack(
    "pulumi-secret",
    "secret",
    (namespace) => ({
      namespace,
      kubeconfig: contents,
      networks: [{ name: "zero", nodes: 0, implementation: "btcd" }],
    }),
    ["kubeconfig"],
  );
  ({ stack, root } = t);
});

after(() => closeTestStack(t, { destroy: true }));

test("a kubeconfig passed as a secret works and never lands in state or logs in plaintext", async () => {
  const up = await stack.up({ color: "never" });
  assert.deepEqual(up.summary.resourceChanges, { create: 2 });
  // The state file itself (`stack export` would decrypt it).
  const stateFile = path.join(root, "state", ".pulumi", "stacks", "regnet", "secret.json");
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { checkpoint: { latest: unknown } };
  const res = resourcesOf(state.checkpoint.latest).find((r) => r.type === NETWORK_TYPE)!;
  for (const side of [res.inputs, res.outputs]) {
    // In the state file a secret is an object in place of the value.
    const kubeconfig = side.kubeconfig as unknown as Record<string, unknown>;
    assert.equal(kubeconfig[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270"); // a secret…
    assert.equal(typeof kubeconfig.ciphertext, "string"); // …stored encrypted
    assert.equal(kubeconfig.plaintext, undefined);
  }
  assert.equal(res.outputs.readyNodes, 0);
  assert.equal(res.outputs.rpcSecretName, "zero-rpc");

  // Every line of the kubeconfig that is specific to it (server, key and certificate references).
  const distinctive = contents
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /server:|client-key|client-certificate|token|-data:/.test(l));
  assert.ok(distinctive.length >= 2);
  const files = [...fs.readdirSync(root, { recursive: true, encoding: "utf8" })]
    .map((f) => path.join(root, f))
    .filter((f) => fs.statSync(f).isFile());
  const work = path.join(root, "work-secret");
  files.push(...fs.readdirSync(work).map((f) => path.join(work, f)));
  for (const f of new Set(files)) {
    const text = fs.readFileSync(f, "utf8");
    for (const line of distinctive) assert.ok(!text.includes(line), `${path.relative(root, f)} holds "${line}"`);
  }
});
