// The engine's API half against the sandbox's real API server: reconcile creates the network's
// Secret, Service and StatefulSet, scales, reverts a manual `kubectl scale`, changes nothing the
// second time, adopts its own labelled objects, refuses foreign ones, observes read-only, destroys.
// The network has no edges and mines nothing, so whether or not the runner starts its btcd pods,
// no RPC write is due and the API side alone decides what a pass changes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import { createEngine, OwnershipError, type Change, type Engine } from "../../provider/engine";
import { validateSpec, type BitcoinNetworkSpec, type BitcoinNetworkSpecInput } from "../../provider/spec";
import { toolPath } from "../../sandbox/toolchain/paths";
import { kubeConfig, sandboxKubeconfig, tempNamespace } from "../support/cluster";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
let ns: { name: string; cleanup: () => Promise<void> };
let engine: Engine;

function spec(input: BitcoinNetworkSpecInput): BitcoinNetworkSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}
const quiet = (nodes: number) =>
  spec({ nodes, implementation: "btcd", topology: { type: "edges", edges: [] }, mining: { initialBlocks: 0 } });
const apiChanges = (changes: Change[]) => changes.filter((c) => ["Secret", "Service", "StatefulSet"].includes(c.kind));

before(async () => {
  ns = await tempNamespace("engine-int");
  engine = createEngine({ kubeConfig: kc, rpcAccess: "direct", rpcTimeoutMs: 2000 });
});

after(async () => {
  await engine.close();
  await ns.cleanup();
});

test("reconcile creates Secret, Service and StatefulSet; a second pass changes nothing", async () => {
  const ref = { name: "alpha", namespace: ns.name };
  const first = await engine.reconcile(ref, quiet(2));
  assert.deepEqual(first.changes.map((c) => `${c.action} ${c.kind} ${c.name}`).sort(), [
    "create Secret alpha-rpc",
    "create Service alpha",
    "create StatefulSet alpha",
  ]);
  const secret = await core.readNamespacedSecret({ name: "alpha-rpc", namespace: ns.name });
  const svc = await core.readNamespacedService({ name: "alpha", namespace: ns.name });
  const sts = await apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name });
  for (const o of [secret, svc, sts]) {
    assert.equal(o.metadata?.labels?.["regnet.dev/network"], "alpha");
    assert.equal(o.metadata?.labels?.["app.kubernetes.io/managed-by"], "regnet");
  }
  assert.equal(sts.spec?.replicas, 2);
  assert.equal(svc.spec?.clusterIP, "None");
  assert.ok(secret.data?.password && secret.data["tls.crt"], "password and btcd certificate in the Secret");
  assert.equal(first.status.rpcSecretName, "alpha-rpc");
  assert.equal(first.status.selector.includes("regnet.dev/network=alpha"), true);

  const apiBefore = engine.apiWrites();
  const rpcBefore = engine.rpcCounters().writes;
  const second = await engine.reconcile(ref, quiet(2));
  assert.deepEqual(second.changes, []);
  assert.equal(engine.apiWrites() - apiBefore, 0, "no API write on a no-op reconcile");
  assert.equal(engine.rpcCounters().writes - rpcBefore, 0, "no write RPC on a no-op reconcile");
  const again = await core.readNamespacedSecret({ name: "alpha-rpc", namespace: ns.name });
  assert.equal(again.data?.password, secret.data?.password, "the password is never regenerated");
  // generation, not resourceVersion: the StatefulSet controller bumps the latter with every status update.
  assert.equal(
    (await apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name })).metadata?.generation,
    sts.metadata?.generation,
  );
});

test("a change of nodes scales the StatefulSet (a scale, not an update)", async () => {
  const ref = { name: "alpha", namespace: ns.name };
  const r = await engine.reconcile(ref, quiet(3));
  assert.deepEqual(
    apiChanges(r.changes).map((c) => `${c.action} ${c.kind}: ${c.detail}`),
    ["scale StatefulSet: replicas 2 → 3"],
  );
  assert.equal((await apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name })).spec?.replicas, 3);
});

test("a manual `kubectl scale statefulset` is reverted", async () => {
  const ref = { name: "alpha", namespace: ns.name };
  execFileSync(toolPath("kubectl"), [
    "--kubeconfig",
    process.env.KUBECONFIG ?? sandboxKubeconfig,
    "-n",
    ns.name,
    "scale",
    "statefulset",
    "alpha",
    "--replicas=5",
  ]);
  assert.equal((await apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name })).spec?.replicas, 5);
  const r = await engine.reconcile(ref, quiet(3));
  assert.deepEqual(
    apiChanges(r.changes).map((c) => `${c.action}: ${c.detail}`),
    ["scale: replicas 5 → 3"],
  );
  assert.equal((await apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name })).spec?.replicas, 3);
  assert.deepEqual(apiChanges((await engine.reconcile(ref, quiet(3))).changes), []);
});

test("a spec change that alters the pod template updates the StatefulSet once", async () => {
  const ref = { name: "alpha", namespace: ns.name };
  const s = { ...quiet(3), extraArgs: ["--maxpeers=20"] };
  const r = await engine.reconcile(ref, s);
  assert.deepEqual(
    apiChanges(r.changes).map((c) => `${c.action} ${c.kind}`),
    ["update StatefulSet"],
  );
  const args = (await apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name })).spec?.template.spec?.containers.flatMap(
    (c) => c.args ?? [],
  );
  assert.ok(args?.includes("--maxpeers=20"), `args: ${JSON.stringify(args)}`);
  assert.deepEqual(apiChanges((await engine.reconcile(ref, s)).changes), []);
});

test("labelled objects without an owner reference are adopted when the network has an owner", async () => {
  const ref = { name: "beta", namespace: ns.name };
  await engine.reconcile(ref, quiet(1));
  // Any object can own; a ConfigMap stands in for the BitcoinNetwork here.
  const owner = await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: "beta-owner" } } });
  const ownerRef = { apiVersion: "v1", kind: "ConfigMap", name: "beta-owner", uid: owner.metadata!.uid! };
  const r = await engine.reconcile({ ...ref, owner: ownerRef }, quiet(1));
  assert.deepEqual(
    apiChanges(r.changes)
      .filter((c) => c.action === "adopt")
      .map((c) => c.kind)
      .sort(),
    ["Secret", "Service", "StatefulSet"],
  );
  for (const o of [
    await core.readNamespacedSecret({ name: "beta-rpc", namespace: ns.name }),
    await core.readNamespacedService({ name: "beta", namespace: ns.name }),
    await apps.readNamespacedStatefulSet({ name: "beta", namespace: ns.name }),
  ]) {
    assert.deepEqual(
      o.metadata?.ownerReferences?.map((x) => x.uid),
      [ownerRef.uid],
      `${o.kind} ${o.metadata?.name}`,
    );
  }
  assert.deepEqual(apiChanges((await engine.reconcile({ ...ref, owner: ownerRef }, quiet(1))).changes), []);
});

test("objects with the network's names that are not its own are left alone, with a clear error", async () => {
  // A foreign Service named like the network: nothing of the network may be created.
  const foreign = await core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name: "gamma", labels: { app: "someone-else" } }, spec: { ports: [{ port: 80 }] } },
  });
  await assert.rejects(engine.reconcile({ name: "gamma", namespace: ns.name }, quiet(1)), (e: unknown) => {
    assert.ok(e instanceof OwnershipError);
    assert.match(e.message, new RegExp(`Service ${ns.name}/gamma exists but is not network "gamma"'s own`));
    assert.match(e.message, /regnet\.dev\/network=gamma/);
    assert.match(e.message, /Delete or rename it/);
    return true;
  });
  const after = await core.readNamespacedService({ name: "gamma", namespace: ns.name });
  assert.equal(after.metadata?.resourceVersion, foreign.metadata?.resourceVersion, "the foreign Service is untouched");
  for (const read of [
    () => core.readNamespacedSecret({ name: "gamma-rpc", namespace: ns.name }),
    () => apps.readNamespacedStatefulSet({ name: "gamma", namespace: ns.name }),
  ]) {
    await assert.rejects(read(), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);
  }

  // A foreign Secret with the default credentials name, likewise.
  const secret = await core.createNamespacedSecret({
    namespace: ns.name,
    body: { metadata: { name: "delta-rpc" }, stringData: { password: "theirs" } },
  });
  await assert.rejects(
    engine.reconcile({ name: "delta", namespace: ns.name }, quiet(1)),
    /Secret .*\/delta-rpc exists but is not network "delta"'s own.*spec\.rpc\.secretName/,
  );
  assert.equal(
    (await core.readNamespacedSecret({ name: "delta-rpc", namespace: ns.name })).metadata?.resourceVersion,
    secret.metadata?.resourceVersion,
  );
  await assert.rejects(apps.readNamespacedStatefulSet({ name: "delta", namespace: ns.name }));
});

test("converge's timeout error names each node and what it lacks", async () => {
  // Pods cannot be Ready within the first pass that creates them.
  const err = await engine.converge({ name: "zeta", namespace: ns.name }, quiet(2), { timeoutSeconds: 0.001 }).catch((e: unknown) => e);
  assert.ok(err instanceof Error);
  assert.match(
    err.message,
    new RegExp(
      `network ${ns.name}/zeta did not converge within 0\\.001 s: node 0 \\(pod zeta-0\\): not Ready; node 1 \\(pod zeta-1\\): not Ready`,
    ),
  );
  await engine.destroy({ name: "zeta", namespace: ns.name }, { wait: true, timeoutMs: 60_000 });
});

test("observe is read-only and reports the network; destroy removes only what the network made", async () => {
  const ref = { name: "alpha", namespace: ns.name };
  const apiBefore = engine.apiWrites();
  const rpcBefore = engine.rpcCounters().writes;
  const seen = await engine.observe(ref);
  assert.ok(seen);
  assert.equal(seen.rpcSecretName, "alpha-rpc");
  assert.ok(seen.nodes.every((n) => n.ordinal < 3));
  assert.equal(engine.apiWrites() - apiBefore, 0);
  assert.equal(engine.rpcCounters().writes - rpcBefore, 0);
  assert.equal(await engine.observe({ name: "nosuch", namespace: ns.name }), undefined);

  // A user's own Secret, named in spec.rpc.secretName, is used and survives destroy.
  const userSecret = await core.createNamespacedSecret({
    namespace: ns.name,
    body: { metadata: { name: "users-creds" }, stringData: { user: "u", password: "p" } },
  });
  const epsilon = { name: "epsilon", namespace: ns.name };
  const r = await engine.reconcile(epsilon, {
    ...spec({ nodes: 1, topology: { type: "edges", edges: [] }, mining: { initialBlocks: 0 } }),
    rpc: { secretName: "users-creds" },
  });
  assert.ok(!r.changes.some((c) => c.kind === "Secret" && c.name === "users-creds"), "the user's Secret is neither created nor changed");
  await engine.destroy(epsilon, { wait: true, timeoutMs: 60_000 });
  assert.equal(
    (await core.readNamespacedSecret({ name: "users-creds", namespace: ns.name })).metadata?.resourceVersion,
    userSecret.metadata?.resourceVersion,
  );

  await engine.destroy(ref, { wait: true, timeoutMs: 60_000 });
  await assert.rejects(apps.readNamespacedStatefulSet({ name: "alpha", namespace: ns.name }));
  await assert.rejects(core.readNamespacedService({ name: "alpha", namespace: ns.name }));
  await assert.rejects(core.readNamespacedSecret({ name: "alpha-rpc", namespace: ns.name }));
  assert.equal((await core.listNamespacedPod({ namespace: ns.name, labelSelector: "regnet.dev/network=alpha" })).items.length, 0);
  // The foreign Service of the previous test is still there.
  await core.readNamespacedService({ name: "gamma", namespace: ns.name });
});
