// The desired-state builders: args per implementation, no password anywhere in the StatefulSet,
// owner references, labels, probes, persistence, interval miner, config hash; Secret contents.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1Container, V1StatefulSet } from "@kubernetes/client-node";
import { generateRpcCredentials } from "../../provider/engine/credentials";
import {
  CONFIG_HASH_ANNOTATION,
  MINING_ADDRESS,
  buildSecret,
  buildService,
  buildStatefulSet,
  ordinalOf,
  readCredentials,
  rpcSecretName,
  secretHash,
} from "../../provider/engine/desired";
import { isOwnedByNetwork, networkLabels, selectorLabels } from "../../provider/engine/labels";
import type { NetworkRef } from "../../provider/engine/types";
import { type BitcoinNetworkSpec, validateSpec } from "../../provider/spec";

function spec(input: unknown): BitcoinNetworkSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

const ref: NetworkRef = { name: "demo", namespace: "ns1" };
const owned: NetworkRef = {
  ...ref,
  owner: { apiVersion: "regnet.dev/v1alpha1", kind: "BitcoinNetwork", name: "demo", uid: "1234-uid" },
};
const core = spec({ nodes: 3 });
const btcd = spec({ nodes: 4, implementation: "btcd", topology: { type: "ring" } });
const coreCreds = generateRpcCredentials("bitcoin-core", "demo");
const btcdCreds = generateRpcCredentials("btcd", "demo");

const container = (s: V1StatefulSet, name: string): V1Container => s.spec!.template.spec!.containers.find((c) => c.name === name)!;
const sts = (sp: BitcoinNetworkSpec, r = ref) => buildStatefulSet(r, sp, { configHash: "h1" });

test("StatefulSet: parallel, replicas = nodes, service, selector within the pod labels", () => {
  for (const sp of [core, btcd, spec({ nodes: 0 })]) {
    const s = sts(sp);
    assert.equal(s.metadata!.name, "demo");
    assert.equal(s.metadata!.namespace, "ns1");
    assert.equal(s.spec!.replicas, sp.nodes);
    assert.equal(s.spec!.podManagementPolicy, "Parallel");
    assert.equal(s.spec!.serviceName, "demo");
    const podLabels = s.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(s.spec!.selector.matchLabels!)) assert.equal(podLabels[k], v);
    assert.deepEqual(podLabels, networkLabels("demo"));
  }
});

test("labels: recommended app.kubernetes.io labels and regnet.dev/network", () => {
  assert.deepEqual(networkLabels("demo"), {
    "app.kubernetes.io/name": "bitcoin-node",
    "app.kubernetes.io/instance": "demo",
    "app.kubernetes.io/component": "node",
    "app.kubernetes.io/part-of": "regnet",
    "app.kubernetes.io/managed-by": "regnet",
    "regnet.dev/network": "demo",
  });
  for (const o of [sts(core), buildService(ref, core), buildSecret(ref, core, coreCreds)]) {
    assert.deepEqual(o.metadata!.labels, networkLabels("demo"), o.kind);
    assert.ok(isOwnedByNetwork(o, ref), o.kind);
  }
});

test("isOwnedByNetwork", () => {
  const meta = (labels: Record<string, string>, extra: object = {}) => ({ metadata: { namespace: "ns1", labels, ...extra } });
  const cases: [string, object, NetworkRef, boolean][] = [
    ["own labels", meta(networkLabels("demo")), ref, true],
    ["no labels", { metadata: { namespace: "ns1" } }, ref, false],
    ["another network", meta(networkLabels("other")), ref, false],
    ["not managed by regnet", meta({ ...networkLabels("demo"), "app.kubernetes.io/managed-by": "helm" }), ref, false],
    ["other namespace", { metadata: { namespace: "ns2", labels: networkLabels("demo") } }, ref, false],
    ["same owner", meta(networkLabels("demo"), { ownerReferences: [{ uid: "1234-uid", controller: true }] }), owned, true],
    ["controlled by another owner", meta(networkLabels("demo"), { ownerReferences: [{ uid: "other", controller: true }] }), owned, false],
    ["labels, no owner yet (adoptable)", meta(networkLabels("demo")), owned, true],
  ];
  for (const [name, obj, r, want] of cases) assert.equal(isOwnedByNetwork(obj, r), want, name);
});

test("owner references only when the network has an owner", () => {
  for (const build of [() => sts(core, owned), () => buildService(owned, core), () => buildSecret(owned, core, coreCreds)]) {
    assert.deepEqual(build().metadata!.ownerReferences, [{ ...owned.owner, controller: true, blockOwnerDeletion: true }]);
  }
  assert.equal(sts(core).metadata!.ownerReferences, undefined);
  assert.equal(buildService(ref, core).metadata!.ownerReferences, undefined);
});

test("Bitcoin Core args: regtest, listen on all addresses, rpcauth from the Secret, small cache", () => {
  const node = container(sts(spec({ extraArgs: ["-txindex=1"] })), "node");
  assert.deepEqual(node.command, ["bitcoind"]);
  assert.deepEqual(node.args, [
    "-regtest",
    "-datadir=/data",
    "-server",
    "-listen=1",
    "-bind=0.0.0.0",
    "-rpcbind=0.0.0.0",
    "-rpcallowip=0.0.0.0/0",
    "-rpcauth=$(RPC_AUTH)",
    "-printtoconsole",
    "-dbcache=16",
    "-fallbackfee=0.0002",
    "-dnsseed=0",
    "-txindex=1",
  ]);
  assert.deepEqual(node.env, [{ name: "RPC_AUTH", valueFrom: { secretKeyRef: { name: "demo-rpc", key: "rpcauth" } } }]);
  assert.deepEqual(
    node.ports!.map((p) => p.containerPort),
    [18444, 18443],
  );
  assert.equal(node.image, "bitcoin/bitcoin:30.2");
});

test("btcd args: listeners, pinned cert and key from the Secret, config file, small caches, mining address", () => {
  const node = container(sts(spec({ implementation: "btcd", extraArgs: ["--txindex"] })), "node");
  assert.deepEqual(node.command, ["btcd"]);
  assert.deepEqual(node.args, [
    "--regtest",
    "--configfile=/etc/regnet/rpc/btcd.conf",
    "--datadir=/data/data",
    "--logdir=/data/logs",
    "--listen=0.0.0.0:18444",
    "--rpclisten=0.0.0.0:18334",
    "--rpccert=/etc/regnet/rpc/tls.crt",
    "--rpckey=/etc/regnet/rpc/tls.key",
    "--utxocachemaxsize=8",
    "--sigcachemaxsize=1000",
    `--miningaddr=${MINING_ADDRESS}`,
    "--txindex",
  ]);
  // btcd makes $HOME/.btcd at start even with --datadir; as a non-root user only /data is writable.
  assert.deepEqual(node.env, [{ name: "HOME", value: "/data" }]);
  assert.deepEqual(
    node.ports!.map((p) => p.containerPort),
    [18444, 18334],
  );
  assert.equal(node.image, "ghcr.io/regnet-dev/btcd:v0.26.2");
});

test("the mining address is a valid regtest bech32 address (checksum)", () => {
  const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  const [hrp, data] = [MINING_ADDRESS.slice(0, 4), MINING_ADDRESS.slice(5)];
  const values = [...hrp]
    .map((c) => c.charCodeAt(0) >> 5)
    .concat(
      [0],
      [...hrp].map((c) => c.charCodeAt(0) & 31),
      [...data].map((c) => CHARSET.indexOf(c)),
    );
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >> i) & 1) chk ^= GEN[i];
  }
  assert.equal(hrp, "bcrt");
  assert.equal(chk, 1, "bech32 (witness v0) checksum");
});

test("no password anywhere in the StatefulSet, for either implementation", () => {
  for (const [sp, creds] of [
    [spec({ mining: { intervalSeconds: 5 } }), coreCreds],
    [spec({ implementation: "btcd", mining: { intervalSeconds: 5 } }), btcdCreds],
  ] as const) {
    const secret = buildSecret(ref, sp, creds);
    const s = buildStatefulSet(ref, sp, { configHash: secretHash(secret) });
    const text = JSON.stringify(s);
    assert.ok(!text.includes(creds.password), sp.implementation);
    assert.ok(!text.includes(Buffer.from(creds.password).toString("base64")), sp.implementation);
    assert.ok(!text.includes(creds.rpcauth), "not even the rpcauth hash: it comes from the Secret");
    assert.ok(!/rpcpass|rpcpassword|rpcuser/i.test(text), "no credentials flags");
  }
});

test("readiness is an authenticated RPC call through the mounted config", () => {
  const c = container(sts(core), "node").readinessProbe!.exec!.command;
  assert.deepEqual(c, ["bitcoin-cli", "-conf=/etc/regnet/rpc/cli.conf", "getblockcount"]);
  const b = container(sts(btcd), "node").readinessProbe!.exec!.command;
  assert.deepEqual(b, ["btcctl", "--configfile=/etc/regnet/rpc/btcctl.conf", "getblockcount"]);
  const mounts = container(sts(btcd), "node").volumeMounts!;
  assert.deepEqual(
    mounts.find((m) => m.name === "rpc"),
    { name: "rpc", mountPath: "/etc/regnet/rpc", readOnly: true },
  );
  const vol = sts(btcd).spec!.template.spec!.volumes!.find((v) => v.name === "rpc")!;
  assert.equal(vol.secret!.secretName, "demo-rpc");
});

test("probes: a startup probe every 2 s until the node first answers, then readiness every 10 s, both the same RPC call", () => {
  for (const sp of [core, btcd]) {
    const c = container(sts(sp), "node");
    const startup = c.startupProbe!;
    const readiness = c.readinessProbe!;
    assert.deepEqual(startup.exec, readiness.exec, "the startup probe asks what readiness asks");
    // Ready within 2 s of the RPC answering (the kubelet runs readiness as soon as startup
    // succeeds); no faster: each period is a process per starting pod.
    assert.equal(startup.periodSeconds, 2);
    // A slow start (a loaded machine, a persisted chain) is not killed: 10 minutes to first answer.
    assert.ok(startup.periodSeconds * startup.failureThreshold! >= 600, "startup budget ≥ 10 min");
    // One exec per pod per 10 s once started (a process per probe: 10/s at 100 pods, not 50/s).
    assert.equal(readiness.periodSeconds, 10);
    assert.equal(readiness.failureThreshold, 3);
    assert.ok(readiness.timeoutSeconds! >= 5 && startup.timeoutSeconds! >= 5, "an RPC call on a loaded machine gets 5 s");
    assert.equal(c.livenessProbe, undefined);
  }
});

test("node pods mount no service-account token: they never call the API server", () => {
  for (const sp of [core, btcd, spec({ nodes: 2, mining: { intervalSeconds: 5 } }), spec({ nodes: 2, persistence: { size: "1Gi" } })]) {
    const pod = sts(sp).spec!.template.spec!;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, undefined, "no service account of regnet's own either");
  }
});

test("resources: small defaults, or the spec's (numbers become quantities)", () => {
  assert.deepEqual(container(sts(btcd), "node").resources, { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } });
  assert.ok(container(sts(core), "node").resources!.limits!.memory);
  const r = container(sts(spec({ resources: { requests: { cpu: 1 }, limits: { memory: "1Gi" } } })), "node").resources;
  assert.deepEqual(r, { requests: { cpu: "1" }, limits: { memory: "1Gi" } });
});

test("persistence: volumeClaimTemplates, else emptyDir", () => {
  const e = sts(core);
  assert.equal(e.spec!.volumeClaimTemplates, undefined);
  assert.deepEqual(
    e.spec!.template.spec!.volumes!.find((v) => v.name === "data"),
    { name: "data", emptyDir: {} },
  );
  const p = sts(spec({ persistence: { size: "2Gi", storageClassName: "fast" } }));
  assert.equal(
    p.spec!.template.spec!.volumes!.find((v) => v.name === "data"),
    undefined,
  );
  const [claim] = p.spec!.volumeClaimTemplates!;
  assert.equal(claim.metadata!.name, "data");
  assert.deepEqual(claim.spec!.resources!.requests, { storage: "2Gi" });
  assert.equal(claim.spec!.storageClassName, "fast");
  assert.deepEqual(claim.spec!.accessModes, ["ReadWriteOnce"]);
  assert.ok(p.spec!.persistentVolumeClaimRetentionPolicy);
  assert.deepEqual(
    container(p, "node").volumeMounts!.find((m) => m.name === "data"),
    { name: "data", mountPath: "/data" },
  );
});

test("interval mining: a sidecar on every pod that mines only on ordinal 0", () => {
  assert.equal(sts(core).spec!.template.spec!.containers.length, 1, "no miner without intervalSeconds");
  for (const [impl, mine] of [
    ["btcd", "btcctl --configfile=/etc/regnet/rpc/btcctl.conf generate 1"],
    ["bitcoin-core", `bitcoin-cli -conf=/etc/regnet/rpc/cli.conf generatetoaddress 1 ${MINING_ADDRESS}`],
  ] as const) {
    const m = container(sts(spec({ implementation: impl, mining: { intervalSeconds: 7 } })), "miner");
    assert.equal(m.image, impl === "btcd" ? "ghcr.io/regnet-dev/btcd:v0.26.2" : "bitcoin/bitcoin:30.2");
    assert.equal(m.command![0], "sh");
    const script = m.command![2];
    assert.ok(script.includes(`sleep 7 & wait $!; ${mine}`), script);
    assert.ok(script.startsWith("trap 'exit 0' TERM"), "stops at once on SIGTERM");
    assert.ok(script.includes('case "$POD_NAME" in *-0)'), "ordinal from the pod name");
    assert.deepEqual(m.env, [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]);
  }
});

test("Pod Security 'restricted': non-root as the image's user, fsGroup for the data volume, no escalation, no capabilities", () => {
  for (const [impl, id] of [
    ["bitcoin-core", 101],
    ["btcd", 1000],
  ] as const) {
    for (const extra of [{}, { mining: { intervalSeconds: 7 } }, { persistence: { size: "1Gi" } }]) {
      const pod = sts(spec({ implementation: impl, ...extra })).spec!.template.spec!;
      assert.deepEqual(
        pod.securityContext,
        {
          runAsNonRoot: true,
          runAsUser: id,
          runAsGroup: id,
          fsGroup: id,
          seccompProfile: { type: "RuntimeDefault" },
        },
        impl,
      );
      assert.ok(pod.containers.length >= 1);
      for (const c of pod.containers) {
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }, `${impl} ${c.name}`);
      }
    }
  }
});

test("config hash annotation: from the Secret's data, so new credentials roll the pods", () => {
  const a = buildSecret(ref, btcd, btcdCreds);
  const b = buildSecret(ref, btcd, generateRpcCredentials("btcd", "demo"));
  assert.equal(secretHash(a), secretHash(structuredClone(a)));
  assert.notEqual(secretHash(a), secretHash(b));
  const s = buildStatefulSet(ref, btcd, { configHash: secretHash(a) });
  assert.equal(s.spec!.template.metadata!.annotations![CONFIG_HASH_ANNOTATION], secretHash(a));
});

test("headless Service: P2P and RPC ports per implementation, not-ready addresses published", () => {
  for (const [sp, rpc] of [
    [core, 18443],
    [btcd, 18334],
  ] as const) {
    const svc = buildService(ref, sp);
    assert.equal(svc.metadata!.name, "demo");
    assert.equal(svc.spec!.clusterIP, "None");
    assert.equal(svc.spec!.publishNotReadyAddresses, true);
    assert.deepEqual(svc.spec!.selector, selectorLabels("demo"));
    assert.deepEqual(
      svc.spec!.ports!.map((p) => [p.name, p.port]),
      [
        ["p2p", 18444],
        ["rpc", rpc],
      ],
    );
  }
});

const decode = (s: { data?: Record<string, string> }, k: string) => Buffer.from(s.data![k], "base64").toString("utf8");

test("Secret (Core): rpcauth and a bitcoin-cli config; read back", () => {
  const s = buildSecret(ref, core, coreCreds);
  assert.equal(s.metadata!.name, "demo-rpc");
  assert.equal(s.type, "Opaque");
  assert.deepEqual(Object.keys(s.data!).sort(), ["cli.conf", "password", "rpcauth", "user"]);
  assert.equal(decode(s, "rpcauth"), coreCreds.rpcauth);
  assert.match(decode(s, "cli.conf"), new RegExp(`^regtest=1\nrpcconnect=127.0.0.1\nrpcuser=regnet\nrpcpassword=${coreCreds.password}\n$`));
  assert.deepEqual(readCredentials(s), { ...coreCreds, tlsCert: undefined, tlsKey: undefined });
});

test("Secret (btcd): btcd.conf, btcctl.conf, cert and key; read back", () => {
  const s = buildSecret(ref, btcd, btcdCreds);
  assert.deepEqual(Object.keys(s.data!).sort(), ["btcctl.conf", "btcd.conf", "password", "tls.crt", "tls.key", "user"]);
  assert.equal(decode(s, "btcd.conf"), `rpcuser=regnet\nrpcpass=${btcdCreds.password}\n`);
  const ctl = decode(s, "btcctl.conf");
  for (const line of ["regtest=1", "rpcserver=127.0.0.1:18334", "rpccert=/etc/regnet/rpc/tls.crt", `rpcpass=${btcdCreds.password}`])
    assert.ok(ctl.split("\n").includes(line), line);
  assert.equal(decode(s, "tls.crt"), btcdCreds.tlsCert);
  const back = readCredentials(s)!;
  assert.equal(back.password, btcdCreds.password);
  assert.equal(back.tlsCert, btcdCreds.tlsCert);
  assert.equal(readCredentials({ data: {} }), undefined);
});

test("spec.rpc.secretName names the Secret and every reference to it", () => {
  const sp = spec({ rpc: { secretName: "shared-creds" } });
  assert.equal(rpcSecretName(ref, sp), "shared-creds");
  assert.equal(buildSecret(ref, sp, coreCreds).metadata!.name, "shared-creds");
  const s = sts(sp);
  assert.equal(s.spec!.template.spec!.volumes![0].secret!.secretName, "shared-creds");
  assert.equal(container(s, "node").env![0].valueFrom!.secretKeyRef!.name, "shared-creds");
});

test("ordinalOf parses StatefulSet pod names of this network only", () => {
  const cases: [string, number | undefined][] = [
    ["demo-0", 0],
    ["demo-12", 12],
    ["demo-x", undefined],
    ["demo2-1", undefined],
    ["other-1", undefined],
    ["demo-", undefined],
  ];
  for (const [pod, want] of cases) assert.equal(ordinalOf("demo", pod), want, pod);
});
