// A user's own RPC Secret (spec.rpc.secretName) holding only user/password, against the sandbox's API
// server: regnet never writes it, derives what the nodes mount into <network>-rpc-config (Core's
// salted -rpcauth line and bitcoin-cli config), re-derives only when the credentials change, and
// refuses a Secret it cannot use before creating anything. Networks of 0 nodes: the objects are what
// is tested here (real nodes: test/e2e/user-rpc-secret.test.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { createEngine, type Engine } from "../../provider/engine";
import { validateSpec, type BitcoinNetworkSpec, type BitcoinNetworkSpecInput } from "../../provider/spec";
import { kubeConfig, tempNamespace } from "../support/cluster";

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
const text = (s: k8s.V1Secret, key: string) => Buffer.from(s.data?.[key] ?? "", "base64").toString("utf8");
/** Bitcoin Core's check of an -rpcauth line (HMAC-SHA256 keyed by the salt's hex text). */
const rpcauthAccepts = (line: string, user: string, password: string) => {
  const m = /^([^:]+):([0-9a-f]{32})\$([0-9a-f]{64})$/.exec(line);
  return !!m && m[1] === user && crypto.createHmac("sha256", m[2]).update(password).digest("hex") === m[3];
};
const userSecret = (name: string, data: Record<string, string>) =>
  core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: data } });
const absent = (read: () => Promise<unknown>) => assert.rejects(read(), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);

before(async () => {
  ns = await tempNamespace("user-secret");
  engine = createEngine({ kubeConfig: kc, rpcAccess: "direct", rpcTimeoutMs: 2000 });
});

after(async () => {
  await engine.close();
  await ns.cleanup();
});

test("Core with a user/password Secret: the nodes' files are derived into a Secret regnet owns; the user's is never written", async () => {
  const ref = { name: "uc", namespace: ns.name };
  const s = spec({ nodes: 0, rpc: { secretName: "uc-creds" } });
  await userSecret("uc-creds", { user: "alice", password: "first-Password" });

  const r = await engine.reconcile(ref, s);
  assert.deepEqual(r.changes.map((c) => `${c.action} ${c.kind} ${c.name}`).sort(), [
    "create Secret uc-rpc-config",
    "create Service uc",
    "create StatefulSet uc",
  ]);
  assert.equal(r.status.rpcSecretName, "uc-creds", "status points users at their own Secret");
  const derived = await core.readNamespacedSecret({ name: "uc-rpc-config", namespace: ns.name });
  assert.equal(derived.metadata?.labels?.["regnet.dev/network"], "uc");
  assert.ok(rpcauthAccepts(text(derived, "rpcauth"), "alice", "first-Password"), text(derived, "rpcauth"));
  assert.match(text(derived, "cli.conf"), /^rpcuser=alice$/m);
  const pod = (await apps.readNamespacedStatefulSet({ name: "uc", namespace: ns.name })).spec!.template.spec!;
  assert.deepEqual(pod.volumes?.find((v) => v.name === "rpc")?.secret?.secretName, "uc-rpc-config");
  const ref0 = pod.containers[0].env?.[0].valueFrom?.secretKeyRef;
  assert.deepEqual([ref0?.name, ref0?.key], ["uc-rpc-config", "rpcauth"]);
  assert.ok(!JSON.stringify(pod).includes("first-Password"), "no password in the pod template");

  const writes = engine.apiWrites();
  assert.deepEqual((await engine.reconcile(ref, s)).changes, [], "a second pass changes nothing (the salt is not re-rolled)");
  assert.equal(engine.apiWrites() - writes, 0);

  // The user rotates the password: the derived files follow, and the pods roll (config hash).
  const hash = (await apps.readNamespacedStatefulSet({ name: "uc", namespace: ns.name })).spec!.template.metadata!.annotations![
    "regnet.dev/config-hash"
  ];
  await core.replaceNamespacedSecret({
    name: "uc-creds",
    namespace: ns.name,
    body: { metadata: { name: "uc-creds" }, stringData: { user: "alice", password: "second-Password" } },
  });
  const rotated = await engine.reconcile(ref, s);
  assert.deepEqual(
    rotated.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
    ["update Secret uc-rpc-config", "update StatefulSet uc"],
  );
  assert.ok(
    rpcauthAccepts(
      text(await core.readNamespacedSecret({ name: "uc-rpc-config", namespace: ns.name }), "rpcauth"),
      "alice",
      "second-Password",
    ),
  );
  const after = (await apps.readNamespacedStatefulSet({ name: "uc", namespace: ns.name })).spec!.template.metadata!.annotations![
    "regnet.dev/config-hash"
  ];
  assert.notEqual(after, hash);

  await engine.destroy(ref, { wait: true, timeoutMs: 60_000 });
  await absent(() => core.readNamespacedSecret({ name: "uc-rpc-config", namespace: ns.name }));
  const kept = await core.readNamespacedSecret({ name: "uc-creds", namespace: ns.name });
  assert.equal(kept.metadata?.labels, undefined, "the user's Secret got no labels");
  assert.ok(!(kept.metadata?.managedFields ?? []).some((f) => f.manager === "regnet"), "regnet never wrote the user's Secret");
  assert.equal(text(kept, "password"), "second-Password");
});

test("a user Secret regnet cannot use is refused before anything is created, naming spec.rpc.secretName, the keys and the fix", async () => {
  const cases: { name: string; input: BitcoinNetworkSpecInput; data: Record<string, string>; want: RegExp }[] = [
    {
      name: "bt",
      input: { implementation: "btcd" },
      data: { user: "u", password: "p" },
      want: /"tls\.crt" is missing.*"tls\.key" is missing.*--from-file=tls\.crt=/,
    },
    { name: "nopw", input: {}, data: { user: "u" }, want: /"password" is missing or empty/ },
    { name: "hash", input: {}, data: { user: "u", password: "a#b" }, want: /"password" must be one line without "#"/ },
  ];
  for (const c of cases) {
    await userSecret(`${c.name}-creds`, c.data);
    const err = await engine
      .reconcile({ name: c.name, namespace: ns.name }, spec({ ...c.input, nodes: 0, rpc: { secretName: `${c.name}-creds` } }))
      .catch((e: unknown) => e);
    assert.ok(err instanceof Error, `${c.name}: refused`);
    console.log(`# ${c.name}: ${err.message}`);
    assert.match(
      err.message,
      new RegExp(`^spec\\.rpc\\.secretName: Secret ${ns.name}/${c.name}-creds cannot be the network's RPC credentials: `),
    );
    assert.match(err.message, c.want);
    assert.match(
      err.message,
      new RegExp(`kubectl create secret generic ${c.name}-creds --from-literal=user=<user> --from-literal=password=<password>`),
    );
    assert.match(err.message, /or remove spec\.rpc\.secretName/);
    await absent(() => core.readNamespacedSecret({ name: `${c.name}-rpc-config`, namespace: ns.name }));
    await absent(() => core.readNamespacedService({ name: c.name, namespace: ns.name }));
    await absent(() => apps.readNamespacedStatefulSet({ name: c.name, namespace: ns.name }));
  }
});
