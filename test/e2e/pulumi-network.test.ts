// The Pulumi front door end to end: the real Pulumi CLI through the Automation API (inline program,
// file backend under .regnet/), the sandbox's API server and real Bitcoin Core nodes (the default
// implementation; btcd goes through Pulumi in pulumi-timeout.test.ts). One network goes
// through up (3) → preview (3 => 5) → up (5) → hand scale → refresh → up → destroy, and the state
// and the engine log are searched for the RPC password and the kubeconfig's credentials.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import type { NetworkObservation } from "../../provider/pulumi/types";
import { toolPath } from "../../sandbox/toolchain/paths";
import { kubeConfig, kubeconfigPath, waitFor } from "../support/cluster";
import {
  closeTestStack,
  NETWORK_TYPE,
  networkResources,
  openTestStack,
  resourcesOf,
  stateResources,
  type TestStack,
} from "../support/pulumi";
import { missing } from "../support/prereqs";
import { kubeconfigCredentials } from "../support/secrets";
import { setTimeout as sleep } from "node:timers/promises";

const NET = "pnet";
let t: TestStack | undefined;
let ns: TestStack["ns"];
let stack: Stack;
let root: string;
let logFile: string;

type NetOut = NetworkObservation;

const network = (nodes: number) => [{ name: NET, nodes, topology: { type: "mesh" } }];
const setNodes = (nodes: number) => stack.setConfig("regnet:networks", { value: JSON.stringify(network(nodes)) });
const log = (line: string) => process.stderr.write(`[pulumi-e2e] ${line}\n`);

const skip = missing("bitcoin-core");

before(async () => {
  if (skip) return;
  t = await openTestStack("pulumi-e2e", "e2e", (namespace) => ({
    namespace,
    kubeconfigPath,
    networks: network(3),
    convergeTimeoutSeconds: 300,
  }));
  ({ ns, stack, root, logFile } = t);
});

after(() => closeTestStack(t));

function networkOf(outputs: Record<string, { value: unknown }>): NetOut {
  return (outputs.networks.value as Record<string, NetOut>)[NET];
}

function assertWhole(net: NetOut, nodes: number): void {
  assert.equal(net.nodes.length, nodes, JSON.stringify(net.nodes));
  assert.equal(net.readyNodes, nodes);
  assert.equal(net.wired, true);
  for (const n of net.nodes) {
    assert.equal(n.ready, true, `node ${n.ordinal} not ready`);
    assert.equal(n.expectedPeers, nodes - 1, `node ${n.ordinal} expected peers`); // mesh
    assert.ok(n.peers >= n.expectedPeers, `node ${n.ordinal}: ${n.peers}/${n.expectedPeers} peers`);
    assert.ok((n.height ?? 0) >= 101, `node ${n.ordinal} at height ${n.height}`);
    assert.match(n.ip ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  }
  assert.ok(net.height >= 101);
}

/** resourceVersion of every object in the namespace that regnet made (and its pods). */
async function resourceVersions(): Promise<Record<string, string>> {
  const kc = kubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = ns.name;
  const all = [
    ...(await apps.listNamespacedStatefulSet({ namespace })).items.map((o) => ["sts", o] as const),
    ...(await core.listNamespacedService({ namespace })).items.map((o) => ["svc", o] as const),
    ...(await core.listNamespacedSecret({ namespace })).items.map((o) => ["secret", o] as const),
    ...(await core.listNamespacedConfigMap({ namespace })).items.map((o) => ["cm", o] as const),
    ...(await core.listNamespacedPod({ namespace })).items.map((o) => ["pod", o] as const),
    ...(await core.listNamespacedPersistentVolumeClaim({ namespace })).items.map((o) => ["pvc", o] as const),
  ];
  return Object.fromEntries(all.map(([kind, o]) => [`${kind}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? ""]));
}

async function regnetObjects(): Promise<string[]> {
  const rv = await resourceVersions();
  return Object.keys(rv).filter((k) => !k.startsWith("cm/kube-root-ca") && !k.startsWith("secret/default-token"));
}

const logLines = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean) : []);

test("up with nodes=3: 3 ready, wired nodes at height ≥ 101", { skip }, async () => {
  const t = Date.now();
  const result = await stack.up({ color: "never", onOutput: (s) => log(s.trimEnd()) });
  log(`up 3 took ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.deepEqual(result.summary.resourceChanges, { create: 2 });
  assertWhole(networkOf(result.outputs), 3);
});

test("nodes 3 => 5: preview reports exactly one update, shows the diff, changes nothing and calls no node", { skip }, async () => {
  await setNodes(5);
  // Controllers may still be writing status just after `up`: take the baseline once nothing moves.
  const before = await waitFor("the namespace's objects to settle", async () => {
    const first = await resourceVersions();
    await sleep(1000);
    const second = await resourceVersions();
    return JSON.stringify(first) === JSON.stringify(second) ? second : undefined;
  });
  const linesBefore = logLines().length;
  const preview = await stack.preview({ color: "never", diff: true });
  log(preview.stdout);
  assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
  assert.match(preview.stdout, /~ pulumi-nodejs:dynamic\/regnet:BitcoinNetwork: \(update\)/);
  assert.match(preview.stdout, /~ nodes\s*: 3 => 5/);
  assert.doesNotMatch(preview.stdout, /replace/);
  // No engine was opened by the preview (every create/read/update/delete logs one), so no API write and no RPC.
  assert.deepEqual(logLines().slice(linesBefore), []);
  assert.deepEqual(await resourceVersions(), before);
});

test("up with nodes=5: 5 wired nodes", { skip }, async () => {
  const t = Date.now();
  const result = await stack.up({ color: "never", onOutput: (s) => log(s.trimEnd()) });
  log(`up 3 => 5 took ${((Date.now() - t) / 1000).toFixed(1)} s`);
  assert.deepEqual(result.summary.resourceChanges, { same: 1, update: 1 });
  assertWhole(networkOf(result.outputs), 5);
});

test("a hand-made `kubectl scale` shows up in refresh, and the next up repairs it", { skip }, async () => {
  execFileSync(toolPath("kubectl"), ["-n", ns.name, "scale", "statefulset", NET, "--replicas=3"], {
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
  });
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  await waitFor(
    "the hand scale to remove pods 3 and 4",
    async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app.kubernetes.io/instance=${NET}` });
      return pods.items.length === 3;
    },
    { timeoutMs: 120_000 },
  );

  const refresh = await stack.refresh({ color: "never", onOutput: (s) => log(s.trimEnd()) });
  assert.equal(refresh.summary.resourceChanges?.update, 1, JSON.stringify(refresh.summary.resourceChanges));
  const [res] = await networkResources(stack);
  assert.equal(res?.outputs.nodes?.length, 3);
  assert.equal(res.outputs.readyNodes, 3);
  assert.equal(res.inputs.spec?.nodes, 3, "refresh records what the cluster runs");

  const preview = await stack.preview({ color: "never", diff: true });
  assert.match(preview.stdout, /~ nodes\s*: 3 => 5/);
  const result = await stack.up({ color: "never", onOutput: (s) => log(s.trimEnd()) });
  assertWhole(networkOf(result.outputs), 5);
});

test("neither the state nor the engine's log holds the RPC password or a kubeconfig credential", { skip }, async () => {
  const secret = await kubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedSecret({ name: `${NET}-rpc`, namespace: ns.name });
  const password = Buffer.from(secret.data!.password, "base64").toString("utf8");
  assert.ok(password.length >= 16);
  const credentials = kubeconfigCredentials(kubeconfigPath);
  assert.ok(credentials.length > 0, "the sandbox kubeconfig carries a client key or token");
  const needles = [password, Buffer.from(password).toString("base64"), ...credentials];

  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(root);
  assert.ok(
    files.some((f) => f.endsWith("e2e.json")),
    "the stack's state file is among the files searched",
  );
  assert.ok(files.includes(logFile));
  for (const f of files) {
    const text = fs.readFileSync(f, "utf8");
    for (const needle of needles) assert.ok(!text.includes(needle), `${path.relative(root, f)} contains a credential`);
  }

  const state = await stack.exportStack();
  const res = resourcesOf(state.deployment).find((r) => r.type === NETWORK_TYPE);
  const provider = res?.inputs.__provider ?? "";
  log(`__provider is ${provider.length} bytes; state file ${JSON.stringify(state).length} bytes`);
  assert.ok(provider.length < 4096);
  assert.ok(!provider.includes("createEngine"));
  assert.equal(res?.outputs.rpcSecretName, `${NET}-rpc`);
});

test("destroy leaves no regnet object in the namespace", { skip }, async () => {
  await stack.destroy({ color: "never", onOutput: (s) => log(s.trimEnd()) });
  assert.deepEqual(await regnetObjects(), []);
  assert.deepEqual(await stateResources(stack), []);
});
