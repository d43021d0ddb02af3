// The controller's plumbing against the sandbox API server (no nodes needed): informers that
// recover from errors, no status-write loop, and an object in the way reported through /status
// and Warning Events. (A spec the controller cannot honour no longer reaches it: the CRD refuses
// every such spec and name; statusForInvalidSpec is unit-tested in controller-status.test.ts.) The controller runs in this process, limited to the test's namespace.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import pino from "pino";
import { Controller, type ControllerOptions } from "../../provider/controller/controller";
import { writeStatus } from "../../provider/controller/status";
import type { NetworkStatus, ReconcileResult } from "../../provider/engine/types";
import { createEngine, type Engine } from "../../provider/engine";
import { createLogger } from "../../provider/log";
import { API_VERSION, GROUP, KIND, PLURAL, validateSpec } from "../../provider/spec";
import { applyPlatform, createNetwork, getNetwork, metricValue, settled } from "../../bench/harness";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { refusals } from "../support/controller-log";

let ns: { name: string; cleanup: () => Promise<void> };
const controllers: Controller[] = [];
const log = createLogger("controller-test", { level: process.env.REGNET_LOG_LEVEL ?? "warn" });

/** Refuses every call: these tests cover what the controller does before and around the engine. */
const noEngine = {
  reconcile: async () => {
    throw new Error("the engine must not be called here");
  },
};

before(async () => {
  await applyPlatform({ controller: false });
  ns = await tempNamespace("ctl-inf");
});
after(async () => {
  for (const c of controllers) await c.stop(1000);
  await ns.cleanup();
});

function startController(kc: k8s.KubeConfig, identity: string, opts: Partial<ControllerOptions> = {}): Controller {
  const c = new Controller({
    kubeConfig: kc,
    engine: () => noEngine,
    logger: log,
    namespace: ns.name,
    workers: 2,
    resyncMs: 60_000,
    identity,
    ...opts,
  });
  controllers.push(c);
  return c;
}

/** A logger that keeps the controller's "reconcile done" lines: how often it reconciled each network, in order. */
function reconcileLog() {
  const done: string[] = [];
  const logger = pino(
    { level: "info" },
    {
      write: (line: string) => {
        const { msg, network } = JSON.parse(line) as { msg: string; network: string };
        if (msg === "reconcile done") done.push(network);
      },
    },
  );
  return { logger, count: (key: string) => done.filter((k) => k === key).length };
}

test("informers that fail (403: no RBAC yet) restart and sync once access is granted", async () => {
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const sa = "ctl-test";
  await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: sa } } });
  const token = await core.createNamespacedServiceAccountToken({
    namespace: ns.name,
    name: sa,
    body: { spec: { expirationSeconds: 3600 } },
  });
  const cluster = kc.getCurrentCluster()!;
  const saKc = new k8s.KubeConfig();
  saKc.loadFromOptions({
    clusters: [{ ...cluster, name: "sandbox" }],
    users: [{ name: sa, token: token.status!.token }],
    contexts: [{ name: "sa", cluster: "sandbox", user: sa }],
    currentContext: "sa",
  });

  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
  const c = startController(saKc, `test-${randomBytes(3).toString("hex")}`, { logger });
  await c.startInformers();
  assert.equal(c.synced(), false, "without RBAC nothing can be listed");
  assert.deepEqual(c.unsyncedInformers().sort(), ["bitcoinnetworks", "pods", "secrets", "services", "statefulsets"]);
  await waitFor(
    "informer errors to be counted",
    async () => (metricValue(await c.metrics.registry.metrics(), 'regnet_controller_errors_total{kind="informer"}') ?? 0) >= 5,
  );
  // What platform-controller.test.ts asserts is absent from a controller's log is there for these refusals.
  assert.ok(refusals(lines.join("")).length >= 5, `the refusals are logged as such:\n${lines.join("")}`);

  await rbac.createNamespacedRole({
    namespace: ns.name,
    body: {
      metadata: { name: "ctl-test" },
      rules: [
        { apiGroups: [GROUP], resources: [PLURAL], verbs: ["get", "list", "watch"] },
        { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods", "services", "secrets"], verbs: ["get", "list", "watch"] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns.name,
    body: {
      metadata: { name: "ctl-test" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "ctl-test" },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns.name }],
    },
  });
  await waitFor("the informers to recover and sync", async () => c.synced(), { timeoutMs: 90_000 });
  assert.deepEqual(c.unsyncedInformers(), []);
});

/** An engine stand-in that reports every network settled at once (one ready, wired, synced node):
 * what is under test is the controller's watch, queue and status writes, not the nodes. */
const settledEngine = {
  reconcile: async (ref: { name: string }): Promise<ReconcileResult> => ({
    changes: [],
    status: {
      nodes: [
        {
          ordinal: 0,
          pod: `${ref.name}-0`,
          ready: true,
          peers: 0,
          expectedPeers: 0,
          height: 101,
          bestBlockHash: "00".repeat(32),
          version: "test",
        },
      ],
      readyNodes: 1,
      selector: `regnet.dev/network=${ref.name}`,
      wired: true,
      synced: true,
      height: 101,
      conditions: ["Ready", "Wired", "Synced"].map((type) => ({
        type,
        status: "True" as const,
        reason: "Test",
        message: "settled",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      })),
      rpcSecretName: `${ref.name}-rpc`,
    },
  }),
};

test("a settled network: the controller's own status writes and anyone else's do not requeue it", async () => {
  const kc = kubeConfig();
  const identity = `test-${randomBytes(3).toString("hex")}`;
  const name = "settled";
  await createNetwork(kc, name, ns.name, { implementation: "btcd", nodes: 1 });
  // One worker takes keys in the order they come: see the fences below.
  const reconciles = reconcileLog();
  const c = startController(kc, identity, { workers: 1, logger: reconciles.logger, engine: () => settledEngine });
  await c.startInformers();
  c.startWorkers();
  const key = `${ns.name}/${name}`;

  const cr = await waitFor(
    "status Ready=True for this generation",
    async () => {
      const n = await getNetwork(kc, name, ns.name);
      const ready = n.status?.conditions?.find((x) => x.type === "Ready");
      return ready?.status === "True" && n.status?.observedGeneration === n.metadata?.generation ? n : undefined;
    },
    { timeoutMs: 30_000 },
  );

  // A status write changes the object but not its generation: no reconcile follows. A network
  // created after a write is a fence: the watch delivers the write's update before the fence's
  // add, and the one worker takes keys in order, so once the fence is reconciled a requeue of this
  // network would have been reconciled too.
  const fence = async (n: number) => {
    const f = `fence-${n}`;
    await createNetwork(kc, f, ns.name, { implementation: "btcd", nodes: 1 });
    await waitFor(`fence network ${n} reconciled`, async () => reconciles.count(`${ns.name}/${f}`) > 0, { timeoutMs: 30_000 });
  };
  await fence(1); // the controller's own status write above
  const settled = reconciles.count(key);
  assert.ok(settled >= 1, "the log counts this network's reconciles");
  // Another status-only update, made while the network is settled, so a requeue would show.
  const status = cr.status as unknown as NetworkStatus;
  await writeStatus(kc.makeApiClient(k8s.CustomObjectsApi), ns.name, name, {
    ...status,
    conditions: status.conditions.map((x) => (x.type === "Ready" ? { ...x, message: "edited by the test" } : x)),
  });
  await fence(2);
  assert.equal(reconciles.count(key), settled, "a status write does not requeue the network");
  assert.equal(metricValue(await c.metrics.registry.metrics(), 'regnet_controller_reconciles_total{result="error"}'), 0);
});

test("an object in the way that is not the network's own: Ready=False NotOwned, a Warning, the object untouched", async () => {
  const kc = kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = "blocked";
  // A Service with the network's name, made by someone else (no regnet labels).
  await core.createNamespacedService({
    namespace: ns.name,
    body: { metadata: { name, labels: { team: "other" } }, spec: { ports: [{ port: 80 }], selector: { app: "other" } } },
  });
  const identity = `test-${randomBytes(3).toString("hex")}`;
  let engine: Engine | undefined;
  const c = new Controller({
    kubeConfig: kc,
    engine: (caches) => (engine = createEngine({ kubeConfig: kc, caches, rpcAccess: "direct", logger: log })),
    logger: log,
    namespace: ns.name,
    workers: 1,
    resyncMs: 60_000,
    identity,
    backoffBaseMs: 1000,
  });
  controllers.push(c);
  await c.startInformers();
  c.startWorkers();
  await createNetwork(kc, name, ns.name, { implementation: "btcd", nodes: 1 });

  const cr = await waitFor("status Ready=False NotOwned", async () => {
    const n = await getNetwork(kc, name, ns.name);
    return n.status?.conditions?.find((x) => x.type === "Ready")?.reason === "NotOwned" ? n : undefined;
  });
  assert.match(
    cr.status!.conditions!.find((x) => x.type === "Ready")!.message,
    new RegExp(`Service ${ns.name}/${name} exists but is not network "${name}"'s own`),
  );
  const event = await waitFor("a Warning NotOwned event", async () => {
    const events = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${name}` });
    return events.items.find((e) => e.type === "Warning" && e.reason === "NotOwned" && e.source?.host === identity);
  });
  assert.match(event.message ?? "", /Delete or rename it/);
  const svc = await core.readNamespacedService({ namespace: ns.name, name });
  assert.deepEqual(svc.metadata?.labels, { team: "other" }, "the other Service is left as it was");
  assert.equal(svc.metadata?.ownerReferences, undefined);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  assert.equal((await apps.listNamespacedStatefulSet({ namespace: ns.name, labelSelector: `regnet.dev/network=${name}` })).items.length, 0);
  // Retried with back-off, and reported once (the repeat bumps the same Event's count).
  await waitFor(
    "a retry",
    async () => (metricValue(await c.metrics.registry.metrics(), 'regnet_controller_reconciles_total{result="error"}') ?? 0) >= 2,
    { timeoutMs: 30_000 },
  );
  const events = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${name}` });
  assert.equal(
    events.items.filter((e) => e.source?.host === identity && e.reason === "ReconcileError").length,
    0,
    "no second, generic warning",
  );
  // Reported once: the retries bumped the count of the one NotOwned Event (recorded before each error).
  const notOwned = events.items.filter((e) => e.source?.host === identity && e.reason === "NotOwned");
  assert.equal(notOwned.length, 1, "one NotOwned Event");
  assert.ok((notOwned[0].count ?? 0) >= 2, `its count went up with the retry: ${notOwned[0].count}`);
  await engine?.close();
});

test("the controller's engine reads a network's own objects from the informer caches, the API server only for names they lack", async (t) => {
  const kc = kubeConfig();
  // A namespace of its own: the other tests' controllers (stand-in engines) watch theirs.
  const own = await tempNamespace("ctl-cache");
  t.after(() => own.cleanup());
  const name = "cached";
  // No nodes: the engine's whole pass is API objects (no pod, no RPC), so every read is counted here.
  const spec = { implementation: "btcd" as const, nodes: 0 };
  let engine: Engine | undefined;
  const c = startController(kc, `test-${randomBytes(3).toString("hex")}`, {
    namespace: own.name,
    engine: (caches) => (engine = createEngine({ kubeConfig: kc, caches, rpcAccess: "direct", logger: log })),
  });
  await c.startInformers();
  c.startWorkers();
  await createNetwork(kc, name, own.name, spec);
  const cr = await waitFor("the network settled", async () => {
    const n = await getNetwork(kc, name, own.name);
    return settled(n) ? n : undefined;
  });
  const valid = validateSpec(spec);
  assert.ok(valid.ok);
  const ref = { name, namespace: own.name, owner: { apiVersion: API_VERSION, kind: KIND, name, uid: cr.metadata!.uid! } };
  const live = createEngine({ kubeConfig: kc, rpcAccess: "direct", logger: log });
  try {
    const reads = async (e: Engine) => {
      const [reads0, writes0] = [e.apiReads(), e.apiWrites()];
      const r = await e.reconcile(ref, valid.spec);
      assert.deepEqual(r.changes, [], "a settled network");
      assert.equal(e.apiWrites() - writes0, 0);
      return e.apiReads() - reads0;
    };
    // Reading the API server: the RPC Secret, the derived-config Secret, Service, StatefulSet, and the pods.
    assert.equal(await reads(live), 5);
    // From the caches: only `<name>-rpc-config`, which does not exist, and a name the label-filtered
    // caches lack could still be someone else's object.
    assert.equal(await reads(engine!), 1);
  } finally {
    await live.close();
    await c.stop(1000);
    await engine?.close();
  }
});
