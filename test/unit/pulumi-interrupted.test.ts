// Settling what an interrupted `up` leaves in Pulumi state (infra/pulumi/interrupted.ts), on the
// shape `pulumi stack export` gives (seen after a second Ctrl-C: the network only as a pending create).
import { test } from "node:test";
import assert from "node:assert/strict";
import { NETWORK_TYPE, adoptPendingNetworks, dropResolvedCreates, type Deployment } from "../../infra/pulumi/interrupted";

const STACK = "urn:pulumi:dev::regnet::pulumi:pulumi:Stack::regnet-dev";
const PROVIDER = "urn:pulumi:dev::regnet::pulumi:providers:pulumi-nodejs::default::0eac387c";
const urn = (name: string) => `urn:pulumi:dev::regnet::${NETWORK_TYPE}::${name}`;
const pending = (name: string, type = "creating", resourceType = NETWORK_TYPE) => ({
  type,
  resource: {
    urn: urn(name),
    custom: true,
    type: resourceType,
    parent: STACK,
    provider: PROVIDER,
    inputs: { __provider: "exports.handler = ...", name, namespace: "regtest", kubeconfigPath: "/k", spec: { nodes: 3 } },
    outputs: {},
  },
});
const deployment = (): Deployment => ({
  resources: [
    { urn: STACK, type: "pulumi:pulumi:Stack" },
    { urn: PROVIDER, type: "pulumi:providers:pulumi-nodejs", id: "0eac387c" },
  ],
  pending_operations: [pending("alpha")],
});

test("before destroy: a pending create of a network becomes that network, id <namespace>/<name>, outputs its inputs", () => {
  const d = deployment();
  assert.deepEqual(adoptPendingNetworks(d), ["regtest/alpha"]);
  assert.deepEqual(d.pending_operations, []);
  const net = d.resources!.at(-1)!;
  assert.equal(net.urn, urn("alpha"));
  assert.equal(net.id, "regtest/alpha");
  assert.equal(net.provider, PROVIDER, "deleted by the same provider");
  assert.deepEqual(net.outputs, pending("alpha").resource.inputs, "what delete reads: name, namespace, kubeconfig, __provider");
  assert.deepEqual(adoptPendingNetworks(d), [], "nothing left to adopt");
});

test("others are left alone: pending updates, other resource types, networks the state already holds", () => {
  const d = deployment();
  d.pending_operations = [pending("beta", "updating"), pending("bucket", "creating", "aws:s3/bucket:Bucket"), pending("alpha")];
  d.resources!.push({ urn: urn("alpha"), type: NETWORK_TYPE, id: "regtest/alpha" });
  assert.deepEqual(adoptPendingNetworks(d), []);
  assert.equal(d.pending_operations.length, 3);
  assert.equal(d.resources!.length, 3);
});

test("after up: a pending create whose network up created again is dropped, the rest kept", () => {
  const d = deployment();
  d.pending_operations = [pending("alpha"), pending("beta"), pending("gamma", "updating")];
  assert.deepEqual(dropResolvedCreates(d), [], "nothing is tracked yet");
  d.resources!.push({ urn: urn("alpha"), type: NETWORK_TYPE, id: "regtest/alpha" }, { urn: urn("gamma"), type: NETWORK_TYPE });
  assert.deepEqual(dropResolvedCreates(d), [urn("alpha")]);
  assert.deepEqual(
    d.pending_operations.map((op) => `${op.type} ${op.resource.urn}`),
    [`creating ${urn("beta")}`, `updating ${urn("gamma")}`],
  );
});
