// What the controller writes to /status and how it names networks and reports changes (pure parts).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Condition, NetworkStatus } from "../../provider/engine/types";
import { mergeConditions, sameStatus, statusAfterReconcile, statusBlocked, statusForInvalidSpec } from "../../provider/controller/status";
import { keyOf, networkKey, ownerNetworkKey, splitKey } from "../../provider/controller/keys";
import { eventsForChanges } from "../../provider/controller/events";

const t1 = new Date("2026-11-23T10:00:00.000Z");
const t2 = new Date("2026-11-23T11:00:00.000Z");
const cond = (type: string, status: Condition["status"], reason = "R", lastTransitionTime = ""): Condition => ({
  type,
  status,
  reason,
  message: `${type} ${status}`,
  lastTransitionTime,
});

function engineStatus(over: Partial<NetworkStatus> = {}): NetworkStatus {
  return {
    nodes: [{ ordinal: 0, pod: "net-0", ip: "10.244.0.5", ready: true, peers: 2, expectedPeers: 2, height: 101 }],
    readyNodes: 1,
    selector: "regnet.dev/network=net",
    wired: true,
    synced: true,
    height: 101,
    conditions: [cond("Ready", "True"), cond("Wired", "True"), cond("Synced", "True")],
    rpcSecretName: "net-rpc",
    ...over,
  };
}

test("mergeConditions keeps lastTransitionTime while a condition's status holds, and stamps the generation", () => {
  const prev = [cond("Ready", "True", "R", t1.toISOString()), cond("Wired", "False", "R", t1.toISOString())];
  const merged = mergeConditions(prev, [cond("Ready", "True", "Other"), cond("Wired", "True"), cond("Synced", "Unknown")], 7, t2);
  assert.deepEqual(
    merged.map((c) => [c.type, c.status, c.lastTransitionTime, c.observedGeneration]),
    [
      ["Ready", "True", t1.toISOString(), 7],
      ["Wired", "True", t2.toISOString(), 7],
      ["Synced", "Unknown", t2.toISOString(), 7],
    ],
  );
  assert.equal(merged[0].reason, "Other", "reason and message follow the new condition");
});

test("statusAfterReconcile: observedGeneration, all three conditions, no undefined fields", () => {
  const s = statusAfterReconcile(undefined, engineStatus({ conditions: [cond("Ready", "False")] }), 3, t1);
  assert.equal(s.observedGeneration, 3);
  assert.deepEqual(
    s.conditions.map((c) => [c.type, c.status]),
    [
      ["Ready", "False"],
      ["Wired", "Unknown"],
      ["Synced", "Unknown"],
    ],
  );
  assert.ok(s.conditions.every((c) => c.lastTransitionTime === t1.toISOString() && c.observedGeneration === 3));
  assert.equal(JSON.stringify(s).includes("undefined"), false);
});

test("a second reconcile with the same outcome writes nothing (no status write loop)", () => {
  const first = statusAfterReconcile(undefined, engineStatus(), 2, t1);
  const stored = JSON.parse(JSON.stringify(first)) as NetworkStatus; // as read back from the API server
  const second = statusAfterReconcile(stored, engineStatus(), 2, t2);
  assert.equal(sameStatus(stored, second), true);
  const third = statusAfterReconcile(stored, engineStatus({ height: 102 }), 2, t2);
  assert.equal(sameStatus(stored, third), false);
  assert.equal(sameStatus(stored, statusAfterReconcile(stored, engineStatus(), 3, t2)), false, "a new generation is written");
  assert.equal(sameStatus(undefined, first), false);
});

test("statusForInvalidSpec: Ready=False naming each field, the last observed nodes kept", () => {
  const prev = statusAfterReconcile(undefined, engineStatus(), 1, t1);
  const s = statusForInvalidSpec(
    prev,
    [
      { field: "topology.degree", message: "must be at most nodes-1: lower it" },
      { field: "nodes", message: "must be ≤ 100" },
    ],
    2,
    t2,
  );
  const ready = s.conditions.find((c) => c.type === "Ready")!;
  assert.equal(ready.status, "False");
  assert.equal(ready.reason, "InvalidSpec");
  assert.match(ready.message, /topology\.degree: must be at most nodes-1: lower it/);
  assert.match(ready.message, /nodes: must be ≤ 100/);
  assert.equal(ready.lastTransitionTime, t2.toISOString());
  assert.equal(s.observedGeneration, 2);
  assert.deepEqual(s.nodes, prev.nodes);
  assert.equal(s.conditions.find((c) => c.type === "Wired")!.status, "True", "what was observed before stays");
  const fresh = statusForInvalidSpec(undefined, [{ field: "nodes", message: "bad" }], 1, t1);
  assert.deepEqual(
    fresh.conditions.map((c) => [c.type, c.status]),
    [
      ["Ready", "False"],
      ["Wired", "Unknown"],
      ["Synced", "Unknown"],
    ],
  );
  assert.deepEqual(fresh.nodes, []);
});

test("statusBlocked: Ready=False with the reason given, the rest as last observed", () => {
  const prev = statusAfterReconcile(undefined, engineStatus(), 4, t1);
  const s = statusBlocked(prev, "NotOwned", 'Service ns/net exists but is not network "net"\'s own', 4, t2);
  assert.deepEqual(
    s.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ["Ready", "False", "NotOwned"],
      ["Wired", "True", "R"],
      ["Synced", "True", "R"],
    ],
  );
  assert.equal(s.conditions[1].lastTransitionTime, t1.toISOString(), "unchanged conditions keep their time");
  assert.equal(s.readyNodes, prev.readyNodes);
});

test("keys: a network's own key, and owned objects mapped by owner reference, else by label", () => {
  assert.equal(keyOf("ns", "net"), "ns/net");
  assert.deepEqual(splitKey("ns/net"), { namespace: "ns", name: "net" });
  assert.throws(() => splitKey("net"), /namespace\/name/);
  assert.equal(networkKey({ metadata: { name: "net", namespace: "ns" } }), "ns/net");
  const owner = { apiVersion: "regnet.dev/v1alpha1", kind: "BitcoinNetwork", name: "net" };
  const cases: [string, Parameters<typeof ownerNetworkKey>[0], string | undefined][] = [
    ["StatefulSet owned by the network", { metadata: { name: "net", namespace: "ns", ownerReferences: [owner] } }, "ns/net"],
    [
      "owner reference wins over the label",
      { metadata: { namespace: "ns", labels: { "regnet.dev/network": "x" }, ownerReferences: [owner] } },
      "ns/net",
    ],
    [
      "pod (owned by the StatefulSet) by label",
      {
        metadata: {
          namespace: "ns",
          labels: { "regnet.dev/network": "net" },
          ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "net" }],
        },
      },
      "ns/net",
    ],
    [
      "another group's BitcoinNetwork kind is not ours",
      { metadata: { namespace: "ns", ownerReferences: [{ ...owner, apiVersion: "example.com/v1" }] } },
      undefined,
    ],
    ["no owner, no label", { metadata: { namespace: "ns", labels: {} } }, undefined],
    ["cluster-scoped", { metadata: { labels: { "regnet.dev/network": "net" } } }, undefined],
  ];
  for (const [what, obj, want] of cases) assert.equal(ownerNetworkKey(obj), want, what);
});

test("eventsForChanges: one Normal event per kind of action, naming each object", () => {
  const events = eventsForChanges([
    { kind: "StatefulSet", name: "net", action: "create", detail: "3 replicas" },
    { kind: "Service", name: "net", action: "create", detail: "" },
    { kind: "Node", name: "net-0", action: "wire", detail: "addnode net-1" },
    { kind: "Node", name: "net-1", action: "wire", detail: "addnode net-2" },
    { kind: "StatefulSet", name: "net", action: "scale", detail: "3 → 6" },
  ]);
  assert.deepEqual(events, [
    { type: "Normal", reason: "Created", message: "StatefulSet net: 3 replicas; Service net" },
    { type: "Normal", reason: "Wired", message: "Node net-0: addnode net-1; Node net-1: addnode net-2" },
    { type: "Normal", reason: "Scaled", message: "StatefulSet net: 3 → 6" },
  ]);
  assert.deepEqual(eventsForChanges([]), []);
  const many = eventsForChanges(
    Array.from({ length: 200 }, (_, i) => ({ kind: "Node", name: `net-${i}`, action: "wire" as const, detail: "addnode" })),
  );
  assert.ok(many[0].message.length <= 1024, "long messages are truncated");
});
