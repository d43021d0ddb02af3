// diffNetwork is pure: a table of old outputs vs new inputs and what `pulumi preview` must report.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { diffNetwork, same } from "../../provider/pulumi/diff";
import { UNKNOWN } from "../../provider/pulumi/unknown";

const spec = {
  nodes: 3,
  implementation: "btcd",
  image: "ghcr.io/regnet-dev/btcd:v0.26.2",
  chain: "regtest",
  topology: { type: "mesh" },
  mining: { initialBlocks: 101 },
  extraArgs: [],
};
const olds = {
  name: "alpha",
  namespace: "ns",
  spec,
  kubeconfigPath: "/k",
  // observed outputs are ignored by the diff
  nodes: [{ ordinal: 0 }],
  readyNodes: 3,
  wired: true,
};
const news = (patch: Record<string, unknown> = {}, specPatch: Record<string, unknown> = {}) => ({
  name: "alpha",
  namespace: "ns",
  kubeconfigPath: "/k",
  ...patch,
  spec: { ...spec, ...specPatch },
});

const table: { what: string; news: Record<string, unknown>; updates: string[]; replaces: string[] }[] = [
  { what: "nothing changed", news: news(), updates: [], replaces: [] },
  { what: "key order differs", news: { ...news(), spec: Object.fromEntries(Object.entries(spec).reverse()) }, updates: [], replaces: [] },
  { what: "scale 3 => 5", news: news({}, { nodes: 5 }), updates: ["spec.nodes"], replaces: [] },
  { what: "scale to 0", news: news({}, { nodes: 0 }), updates: ["spec.nodes"], replaces: [] },
  { what: "image", news: news({}, { image: "btcd:other" }), updates: ["spec.image"], replaces: [] },
  {
    what: "mining interval",
    news: news({}, { mining: { initialBlocks: 101, intervalSeconds: 5 } }),
    updates: ["spec.mining"],
    replaces: [],
  },
  { what: "topology", news: news({}, { topology: { type: "ring" } }), updates: ["spec.topology"], replaces: [] },
  { what: "extraArgs", news: news({}, { extraArgs: ["--debuglevel=debug"] }), updates: ["spec.extraArgs"], replaces: [] },
  { what: "resources added", news: news({}, { resources: { limits: { cpu: "1" } } }), updates: ["spec.resources"], replaces: [] },
  { what: "rpc secret", news: news({}, { rpc: { secretName: "x" } }), updates: ["spec.rpc"], replaces: [] },
  { what: "kubeconfig path", news: news({ kubeconfigPath: "/other" }), updates: ["kubeconfigPath"], replaces: [] },
  { what: "name", news: news({ name: "beta" }), updates: [], replaces: ["name"] },
  { what: "namespace", news: news({ namespace: "other" }), updates: [], replaces: ["namespace"] },
  { what: "implementation", news: news({}, { implementation: "bitcoin-core" }), updates: [], replaces: ["spec.implementation"] },
  { what: "persistence added", news: news({}, { persistence: { size: "1Gi" } }), updates: [], replaces: ["spec.persistence"] },
  {
    what: "scale and implementation",
    news: news({}, { nodes: 5, implementation: "bitcoin-core" }),
    updates: ["spec.nodes"],
    replaces: ["spec.implementation"],
  },
  { what: "nodes unknown at preview", news: news({}, { nodes: UNKNOWN }), updates: ["spec.nodes"], replaces: [] },
  { what: "nested unknown", news: news({}, { topology: { type: UNKNOWN } }), updates: ["spec.topology"], replaces: [] },
  { what: "implementation unknown", news: news({}, { implementation: UNKNOWN }), updates: [], replaces: ["spec.implementation"] },
  { what: "whole spec unknown", news: { ...news(), spec: UNKNOWN }, updates: [], replaces: ["spec"] },
  { what: "namespace unknown", news: news({ namespace: UNKNOWN }), updates: [], replaces: ["namespace"] },
];

for (const row of table) {
  test(`diff: ${row.what}`, () => {
    const d = diffNetwork(olds, row.news);
    assert.deepEqual(d.updates, row.updates);
    assert.deepEqual(d.replaces, row.replaces);
    assert.equal(d.changes, row.updates.length + row.replaces.length > 0);
    assert.equal(d.deleteBeforeReplace, row.replaces.length > 0);
  });
}

test("same: undefined keys and key order do not matter; unknowns never equal", () => {
  assert.ok(same({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(same({ a: [1, { x: 1, y: 2 }] }, { a: [1, { y: 2, x: 1 }] }));
  assert.ok(!same([1, 2], [2, 1]));
  assert.ok(!same(UNKNOWN, UNKNOWN));
  assert.ok(!same("1", 1));
});
