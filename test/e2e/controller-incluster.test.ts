// The GitOps path end to end: charts-out/ applied with kubectl, the controller running as the
// Deployment's pod (run by the node runner with its own service-account token, so RBAC is real),
// BitcoinNetworks of real btcd nodes. The steps run in order on one network; each leaves it
// settled for the next. The controller Deployment is shared (regnet-system); the networks live in
// this file's own namespace.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { readCredentials } from "../../provider/engine/desired";
import { hostOf } from "../../provider/engine/node";
import { RpcClient } from "../../provider/rpc";
import { selectorString } from "../../provider/engine/labels";
import {
  applyPlatform,
  createNetwork,
  CONTROLLER_NAME,
  CONTROLLER_NAMESPACE,
  getNetwork,
  kubectl,
  metricValue,
  settled,
  type NetworkCR,
} from "../../bench/harness";
import { desiredEdges, expectedPeers } from "../../provider/engine/wiring/topology";
import { bitcoinCli, bitcoinCliJson, coreNode } from "../support/bitcoin-cli";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { missing } from "../support/prereqs";

const NET = "gitops";
const CONTROLLER_SELECTOR = "app.kubernetes.io/name=regnet-controller,app.kubernetes.io/component=controller";
let ns: { name: string; cleanup: () => Promise<void> };
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const rpc = new RpcClient({ kubeConfig: kc, access: "direct", timeoutMs: 5000, attempts: 2 });

const isReady = (p: k8s.V1Pod) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const pidOf = (p: k8s.V1Pod) => Number(/^regnet:\/\/(\d+)$/.exec(p.status?.containerStatuses?.[0]?.containerID ?? "")?.[1]);

async function controllerPods(): Promise<k8s.V1Pod[]> {
  const pods = await core.listNamespacedPod({ namespace: CONTROLLER_NAMESPACE, labelSelector: CONTROLLER_SELECTOR });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function controllerMetrics(pod: k8s.V1Pod): Promise<string> {
  const res = await fetch(`http://${pod.status!.podIP}:8080/metrics`, { signal: AbortSignal.timeout(3000) });
  return res.text();
}

/** Every reconcile this replica made, of any network: a replica that does not lead makes none. */
const reconcilesOf = (text: string) =>
  ["success", "requeue", "error", "invalid", "deleted"].reduce(
    (n, r) => n + (metricValue(text, `regnet_controller_reconciles_total{result="${r}"}`) ?? 0),
    0,
  );

const leaderGauge = async (pod: k8s.V1Pod) => metricValue(await controllerMetrics(pod), "regnet_controller_leader");

/**
 * Scales the test's network and returns once it has settled, with the Event that says which
 * controller pod made the StatefulSet follow (reason Scaled, source.host = the pod's name): the
 * reconcile of this change, not a resync nor another network's.
 */
async function scaleAndSettle(from: number, to: number): Promise<k8s.CoreV1Event | undefined> {
  const since = Math.floor(Date.now() / 1000) * 1000; // Event timestamps have whole seconds
  await kubectl(["scale", `bitcoinnetwork/${NET}`, "-n", ns.name, `--replicas=${to}`]);
  await settledAt(to);
  const events = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${NET}` });
  return events.items.find(
    (e) => e.reason === "Scaled" && e.message?.includes(`replicas ${from} → ${to}`) && new Date(e.lastTimestamp ?? 0).getTime() >= since,
  );
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await kc
    .makeApiClient(k8s.CoordinationV1Api)
    .readNamespacedLease({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_NAME });
  return lease.spec?.holderIdentity || undefined;
}

/** Waits until status describes the current generation with `nodes` ready nodes, each with all its expected peers. */
async function settledAt(nodes: number, timeoutMs = 240_000, name = NET): Promise<NetworkCR> {
  return waitFor(
    `${name} to be Ready/Wired/Synced with ${nodes} nodes`,
    async () => {
      const n = await getNetwork(kc, name, ns.name);
      const ok =
        settled(n) &&
        n.status?.readyNodes === nodes &&
        n.status?.nodes?.length === nodes &&
        n.status.nodes.every((x) => x.ready && x.peers === x.expectedPeers);
      return ok ? n : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

async function ownedObjects(): Promise<{ statefulsets: number; services: number; secrets: number }> {
  const labelSelector = `regnet.dev/network=${NET}`;
  const [sts, svc, sec] = await Promise.all([
    apps.listNamespacedStatefulSet({ namespace: ns.name, labelSelector }),
    core.listNamespacedService({ namespace: ns.name, labelSelector }),
    core.listNamespacedSecret({ namespace: ns.name, labelSelector }),
  ]);
  return { statefulsets: sts.items.length, services: svc.items.length, secrets: sec.items.length };
}

/** The node's RPC, with the network's credentials from its Secret. */
async function nodeOps(n: NetworkCR, ordinal: number) {
  const node = n.status!.nodes!.find((x) => x.ordinal === ordinal)!;
  const secret = await core.readNamespacedSecret({ namespace: ns.name, name: (n.status as { rpcSecretName: string }).rpcSecretName });
  const creds = readCredentials(secret)!;
  return rpc.node({ namespace: ns.name, pod: node.pod, ip: node.ip!, implementation: "btcd" }, creds);
}

describe("controller from charts-out, in the sandbox", { concurrency: false }, () => {
  before(async () => {
    await applyPlatform();
    // The sandbox runs dist/ as it is when the pod starts: restart so the pods run this build.
    await kubectl(["rollout", "restart", `deployment/${CONTROLLER_NAME}`, "-n", CONTROLLER_NAMESPACE]);
    await kubectl(["rollout", "status", `deployment/${CONTROLLER_NAME}`, "-n", CONTROLLER_NAMESPACE, "--timeout=240s"], 250_000);
    await waitFor(
      "the controller Deployment to be available",
      async () =>
        ((await apps.readNamespacedDeployment({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_NAME })).status?.availableReplicas ??
          0) >= 1,
      { timeoutMs: 120_000 },
    );
    ns = await tempNamespace("ctl-e2e");
  });

  after(async () => {
    await kubectl(["delete", "bitcoinnetwork", NET, "-n", ns.name, "--ignore-not-found", "--wait=false"]).catch(() => undefined);
    // The platform stays installed, its controller idle: it watches every namespace and would
    // otherwise reconcile other tests' BitcoinNetworks (the next apply of charts-out restores 1).
    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=0"]).catch(() => undefined);
    await ns.cleanup();
  });

  it("kubectl apply of a 3-node btcd network: Ready, Wired, Synced with 3 nodes; kubectl get shows it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-e2e-"));
    const file = path.join(dir, "network.yaml");
    fs.writeFileSync(
      file,
      [
        "apiVersion: regnet.dev/v1alpha1",
        "kind: BitcoinNetwork",
        "metadata:",
        `  name: ${NET}`,
        `  namespace: ${ns.name}`,
        "spec:",
        "  implementation: btcd",
        "  nodes: 3",
        "  topology: { type: mesh }",
        "",
      ].join("\n"),
    );
    try {
      await kubectl(["apply", "-f", file]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const n = await settledAt(3);
    assert.deepEqual(n.status!.nodes!.map((x) => x.ordinal).sort(), [0, 1, 2]);
    assert.ok(n.status!.nodes!.every((x) => x.expectedPeers === 2 && (x.height ?? 0) >= 101));
    const ready = n.status!.conditions!.find((c) => c.type === "Ready")!;
    assert.equal(ready.observedGeneration, n.metadata!.generation);

    const table = await kubectl(["get", "bitcoinnetworks", "-n", ns.name]);
    const row = table.split("\n").find((l) => l.startsWith(`${NET} `));
    assert.ok(row, `kubectl get bitcoinnetworks lists ${NET}:\n${table}`);
    assert.match(row, new RegExp(`^${NET}\\s+3\\s+3\\s+true\\s+true\\s+\\d+`));

    // Its objects are owned by the network (so the garbage collector can remove them).
    const sts = await apps.readNamespacedStatefulSet({ namespace: ns.name, name: NET });
    assert.equal(sts.metadata?.ownerReferences?.[0]?.uid, n.metadata!.uid);
    assert.equal(sts.metadata?.ownerReferences?.[0]?.kind, "BitcoinNetwork");
    const events = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${NET}` });
    assert.ok(
      events.items.some((e) => e.reason === "Created" && e.type === "Normal"),
      "a Created event",
    );
    assert.ok(
      events.items.some((e) => e.reason === "Wired"),
      "a Wired event",
    );
  });

  it("kubectl scale --replicas=6: six wired nodes; back to 2: the survivors forget the removed peers", async () => {
    await kubectl(["scale", `bitcoinnetwork/${NET}`, "-n", ns.name, "--replicas=6"]);
    const six = await settledAt(6);
    assert.ok(six.status!.nodes!.every((x) => x.expectedPeers === 5 && x.peers === 5));
    const removedIps = six.status!.nodes!.filter((x) => x.ordinal >= 2).map((x) => x.ip!);

    await kubectl(["scale", `bitcoinnetwork/${NET}`, "-n", ns.name, "--replicas=2"]);
    const two = await settledAt(2);
    const ips = new Map(two.status!.nodes!.map((x) => [x.ordinal, x.ip!]));
    for (const ordinal of [0, 1]) {
      const ops = await nodeOps(two, ordinal);
      const added = (await ops.addedPeers()).map((p) => p.address.split(":")[0]);
      for (const ip of removedIps)
        assert.ok(!added.includes(ip), `node ${ordinal} still has removed peer ${ip} in its added peers: ${added.join(", ")}`);
      const connected = (await ops.peers()).map((p) => p.addr.split(":")[0]);
      assert.ok(connected.includes(ips.get(1 - ordinal)!), `node ${ordinal} is connected to its surviving peer`);
      for (const ip of removedIps) assert.ok(!connected.includes(ip), `node ${ordinal} still connected to removed ${ip}`);
    }
  });

  it("kubectl scale statefulset by hand is reverted", async () => {
    await kubectl(["scale", `statefulset/${NET}`, "-n", ns.name, "--replicas=4"]);
    await waitFor(
      "the StatefulSet to be back at 2 replicas",
      async () => (await apps.readNamespacedStatefulSet({ namespace: ns.name, name: NET })).spec?.replicas === 2,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await settledAt(2);
  });

  it("a node whose process is killed comes back, and the network returns to Wired", async () => {
    const pod = await core.readNamespacedPod({ namespace: ns.name, name: `${NET}-1` });
    const pid = pidOf(pod);
    assert.ok(pid > 0, "the runner reports the node's pid");
    process.kill(pid, "SIGKILL");
    await waitFor(
      "the node to run again (new process, Ready)",
      async () => {
        const p = await core.readNamespacedPod({ namespace: ns.name, name: `${NET}-1` });
        return pidOf(p) > 0 && pidOf(p) !== pid && isReady(p);
      },
      { timeoutMs: 120_000 },
    );
    const n = await settledAt(2);
    const ops = await nodeOps(n, 1);
    const connected = (await ops.peers()).map((p) => p.addr.split(":")[0]);
    assert.ok(connected.includes(n.status!.nodes!.find((x) => x.ordinal === 0)!.ip!), "the restarted node is connected to its peer again");
  });

  it("the controller killed mid-reconcile and started again converges, with no duplicate objects", async () => {
    const [ctl] = await controllerPods();
    const holderBefore = await leaseHolder();
    await kubectl(["scale", `bitcoinnetwork/${NET}`, "-n", ns.name, "--replicas=3"]);
    // The reconcile has begun once the StatefulSet is scaled; wiring the new node follows. Kill it then.
    await waitFor(
      "the reconcile to start",
      async () => (await apps.readNamespacedStatefulSet({ namespace: ns.name, name: NET })).spec?.replicas === 3,
      { intervalMs: 50 },
    );
    process.kill(pidOf(ctl), "SIGKILL");
    await waitFor(
      "the controller to run again",
      async () => {
        const pods = await controllerPods();
        return pods.some((p) => isReady(p) && pidOf(p) !== pidOf(ctl));
      },
      { timeoutMs: 120_000 },
    );
    await settledAt(3);
    assert.notEqual(await leaseHolder(), holderBefore, "the restarted controller holds the lease under a new identity");
    assert.deepEqual(await ownedObjects(), { statefulsets: 1, services: 1, secrets: 1 });
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: selectorString(NET) });
    assert.equal(pods.items.length, 3);
  });

  it("with two replicas only the leader acts; another replica takes over when the leader goes", async () => {
    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=2"]);
    const pods = await waitFor(
      "two ready controller pods",
      async () => {
        const ps = (await controllerPods()).filter(isReady);
        return ps.length === 2 ? ps : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const holder = await waitFor("a lease holder", leaseHolder);
    const leader = pods.find((p) => holder.startsWith(`${p.metadata!.name}_`));
    const standby = pods.find((p) => p !== leader);
    assert.ok(leader && standby, `the lease holder ${holder} is one of the two pods`);
    // The Lease is written before the holder starts its workers and sets the gauge.
    await waitFor("the leader's gauge", async () => (await leaderGauge(leader)) === 1);
    assert.equal(await leaderGauge(standby), 0, "the standby runs no workers");

    const scaled = await scaleAndSettle(3, 2);
    assert.equal(scaled?.source?.host, leader.metadata!.name, "the leader reconciled the change");
    assert.equal(reconcilesOf(await controllerMetrics(standby)), 0, "the standby reconciled nothing");

    // The leader goes away (graceful delete: it releases the lease). The Deployment starts a
    // replacement at once, so the released lease goes to whichever waiting replica asks first — the
    // old standby or the replacement; either way exactly one other pod leads, acts, and the rest wait.
    await kubectl(["delete", "pod", leader.metadata!.name!, "-n", CONTROLLER_NAMESPACE, "--wait=false"]);
    const next = await waitFor(
      "another controller pod to lead",
      async () => {
        const h = await leaseHolder();
        if (!h || h.startsWith(`${leader.metadata!.name}_`)) return undefined;
        return (await controllerPods()).find((p) => isReady(p) && h.startsWith(`${p.metadata!.name}_`));
      },
      { timeoutMs: 60_000 },
    );
    await waitFor("the new leader's gauge", async () => (await leaderGauge(next)) === 1);
    const rescaled = await scaleAndSettle(2, 3);
    assert.equal(rescaled?.source?.host, next.metadata!.name, "the new leader reconciled the change");
    // The other replica (the old standby, or the replacement once it is Ready) waits and does nothing.
    const waiting = await waitFor(
      "the other replica to be ready",
      async () => (await controllerPods()).find((p) => isReady(p) && p.metadata!.name !== next.metadata!.name),
      { timeoutMs: 120_000 },
    );
    const waitingMetrics = await controllerMetrics(waiting);
    assert.equal(metricValue(waitingMetrics, "regnet_controller_leader"), 0);
    assert.equal(reconcilesOf(waitingMetrics), 0, "the waiting replica reconciled nothing");

    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=1"]);
  });

  it("changes made while no controller runs are picked up when one starts (level-based)", async () => {
    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=0"]);
    // Gone, not just terminating: a pod with a deletionTimestamp still runs its controller until the
    // runner's SIGTERM lands, and a reconcile it made of the changes below would leave a status that
    // is already settled when the new controller starts (CI saw the hand-made 4 replicas survive).
    const anyControllerPod = async () =>
      (await core.listNamespacedPod({ namespace: CONTROLLER_NAMESPACE, labelSelector: CONTROLLER_SELECTOR })).items.length;
    await waitFor("no controller pod, terminating ones included", async () => (await anyControllerPod()) === 0, { timeoutMs: 60_000 });
    // Two changes nobody sees happen: the spec (3 → 2) and the StatefulSet by hand (→ 4).
    await kubectl(["scale", `bitcoinnetwork/${NET}`, "-n", ns.name, "--replicas=2"]);
    await kubectl(["scale", `statefulset/${NET}`, "-n", ns.name, "--replicas=4"]);
    const stale = await getNetwork(kc, NET, ns.name);
    assert.notEqual(stale.status?.observedGeneration, stale.metadata?.generation, "nothing reconciled the change yet");
    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=1"]);
    await settledAt(2);
    assert.equal((await apps.readNamespacedStatefulSet({ namespace: ns.name, name: NET })).spec?.replicas, 2);
  });

  it(
    "Bitcoin Core: a 3-node mesh → 7 → 2 converges each time, a killed node is re-wired; bitcoin-cli agrees",
    { skip: missing("bitcoin-core") },
    async () => {
      const name = `${NET}-core`;
      /** Every node, asked with bitcoin-cli on its pod address: one best block, each mesh peer connected. */
      const agree = async (n: NetworkCR) => {
        const nodes = n.status!.nodes!;
        const edges = desiredEdges({ type: "mesh" }, nodes.length);
        const views = await Promise.all(
          nodes.map(async (x) => {
            const node = await coreNode(kc, ns.name, x.pod, `${name}-rpc`);
            const tip = await bitcoinCli(node, ["getbestblockhash"]);
            const peers = await bitcoinCliJson<{ addr: string }[]>(node, ["getpeerinfo"]);
            return { ordinal: x.ordinal, tip, peerIps: peers.map((p) => hostOf(p.addr)) };
          }),
        );
        for (const v of views) {
          assert.equal(v.tip, views[0].tip, `node ${v.ordinal} is on node 0's best block`);
          for (const peer of expectedPeers(edges, v.ordinal)) {
            const ip = nodes.find((x) => x.ordinal === peer)!.ip!;
            assert.ok(v.peerIps.includes(ip), `node ${v.ordinal} is connected to node ${peer} (${ip})`);
          }
        }
      };
      const timed = async (label: string, fn: () => Promise<NetworkCR>) => {
        const t = Date.now();
        const n = await fn();
        console.log(`# timing: controller, Core: ${label}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
        return n;
      };
      await createNetwork(kc, name, ns.name, { nodes: 3, topology: { type: "mesh" } });
      const three = await timed("create 3 → synced", () => settledAt(3, 180_000, name));
      assert.ok(three.status!.nodes!.every((x) => (x.height ?? 0) >= 101));
      await agree(three);

      await kubectl(["scale", `bitcoinnetwork/${name}`, "-n", ns.name, "--replicas=7"]);
      // Core's own added-node dialling alone took ~64 s for this; the nodes' first peers had no blocks.
      const seven = await timed("scale 3 → 7 → synced", () => settledAt(7, 60_000, name));
      await agree(seven);

      await kubectl(["scale", `bitcoinnetwork/${name}`, "-n", ns.name, "--replicas=2"]);
      const two = await timed("scale 7 → 2 → synced", () => settledAt(2, 60_000, name));
      await agree(two);

      const pod = await core.readNamespacedPod({ namespace: ns.name, name: `${name}-1` });
      const pid = pidOf(pod);
      process.kill(pid, "SIGKILL");
      await waitFor(
        "the Core node to run again",
        async () => {
          const p = await core.readNamespacedPod({ namespace: ns.name, name: `${name}-1` });
          return pidOf(p) > 0 && pidOf(p) !== pid && isReady(p);
        },
        { timeoutMs: 120_000 },
      );
      const back = await timed("killed node → re-wired + synced", () => settledAt(2, 120_000, name));
      await agree(back);
      await kubectl(["delete", "bitcoinnetwork", name, "-n", ns.name, "--wait=true", "--timeout=120s"], 130_000);
    },
  );

  it("deleting the network leaves no StatefulSet, Service or Secret", async () => {
    assert.deepEqual(await ownedObjects(), { statefulsets: 1, services: 1, secrets: 1 });
    await kubectl(["delete", "bitcoinnetwork", NET, "-n", ns.name, "--wait=true", "--timeout=60s"]);
    await waitFor(
      "the garbage collector to remove the network's objects",
      async () => {
        const o = await ownedObjects();
        return o.statefulsets + o.services + o.secrets === 0;
      },
      { timeoutMs: 120_000 },
    );
    await waitFor(
      "the network's pods to go",
      async () => (await core.listNamespacedPod({ namespace: ns.name, labelSelector: selectorString(NET) })).items.length === 0,
      {
        timeoutMs: 120_000,
      },
    );
  });
});
