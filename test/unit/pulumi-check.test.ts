// check: every bad input becomes a failure naming the property (and the fix), with the engine's real
// validator; values unknown at preview pass through.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { checkNetwork } from "../../provider/pulumi/check";
import { UNKNOWN } from "../../provider/pulumi/unknown";
import { validateKnownParts, validateNetworkName, validateSpec } from "../../provider/spec";

const check = (news: Record<string, unknown>) => checkNetwork(news, validateSpec, validateNetworkName, validateKnownParts);
const good = { name: "alpha", namespace: "ns", spec: { nodes: 3, implementation: "btcd" } };

test("a good network passes and its spec comes back with defaults applied", () => {
  const { inputs, failures } = check(good);
  assert.deepEqual(failures, []);
  const spec = inputs.spec as Record<string, unknown>;
  assert.equal(spec.nodes, 3);
  assert.equal(spec.chain, "regtest");
  assert.equal(typeof spec.image, "string");
  assert.deepEqual(spec.mining, { initialBlocks: 101 });
});

const bad: { what: string; news: Record<string, unknown>; property: string; mentions: RegExp }[] = [
  { what: "negative nodes", news: { ...good, spec: { nodes: -1 } }, property: "spec.nodes", mentions: /at least 0/ },
  { what: "too many nodes", news: { ...good, spec: { nodes: 101 } }, property: "spec.nodes", mentions: /at most 100/ },
  { what: "mainnet", news: { ...good, spec: { chain: "main" } }, property: "spec.chain", mentions: /regtest/ },
  {
    what: "unknown topology",
    news: { ...good, spec: { topology: { type: "star" } } },
    property: "spec.topology.type",
    mentions: /mesh, ring/,
  },
  {
    what: "degree ≥ nodes",
    news: { ...good, spec: { nodes: 3, topology: { type: "random", degree: 3 } } },
    property: "spec.topology.degree",
    mentions: /degree/,
  },
  {
    what: "unknown implementation",
    news: { ...good, spec: { implementation: "bcoin" } },
    property: "spec.implementation",
    mentions: /btcd/,
  },
  { what: "unknown spec field", news: { ...good, spec: { replicas: 3 } }, property: "spec.replicas", mentions: /allowed here: nodes/ },
  { what: "no spec", news: { name: "alpha", namespace: "ns" }, property: "spec", mentions: /nodes: 3/ },
  { what: "bad name", news: { ...good, name: "Alpha_1" }, property: "name", mentions: /start with a lowercase letter/ },
  { what: "long name", news: { ...good, name: "a".repeat(53) }, property: "name", mentions: /52/ },
  { what: "no namespace", news: { ...good, namespace: undefined }, property: "namespace", mentions: /namespace/ },
  { what: "bad namespace", news: { ...good, namespace: "Bad NS" }, property: "namespace", mentions: /lower-case/ },
  { what: "zero timeout", news: { ...good, convergeTimeoutSeconds: 0 }, property: "convergeTimeoutSeconds", mentions: /between 1/ },
  { what: "empty kubeconfigPath", news: { ...good, kubeconfigPath: "" }, property: "kubeconfigPath", mentions: /path/ },
];

for (const row of bad) {
  test(`check refuses ${row.what}, naming ${row.property}`, () => {
    const { failures } = check(row.news);
    const hit = failures.find((f) => f.property === row.property);
    assert.ok(hit, `no failure for ${row.property}; got ${JSON.stringify(failures)}`);
    assert.match(hit.reason, row.mentions);
  });
}

test("unknown values at preview are let through, at any depth", () => {
  for (const news of [
    { ...good, name: UNKNOWN },
    { ...good, namespace: UNKNOWN },
    { ...good, spec: UNKNOWN },
    { ...good, spec: { nodes: UNKNOWN, implementation: "btcd" } },
    { ...good, spec: { nodes: 3, topology: { type: "random", degree: UNKNOWN } } },
    { ...good, convergeTimeoutSeconds: UNKNOWN, kubeconfigPath: UNKNOWN },
  ]) {
    assert.deepEqual(check(news).failures, [], JSON.stringify(news));
  }
  // known bad values next to unknown ones are still refused
  assert.equal(check({ ...good, name: "Bad", spec: UNKNOWN }).failures[0]?.property, "name");
  for (const [spec, property] of [
    [{ nodes: UNKNOWN, chain: "main" }, "spec.chain"],
    [{ nodes: UNKNOWN, extraArgs: ["-testnet", UNKNOWN] }, "spec.extraArgs"],
    [
      {
        nodes: 3,
        topology: {
          type: "edges",
          edges: [
            [0, 1],
            [0, 1],
            [UNKNOWN, 2],
          ],
        },
      },
      "spec.topology.edges",
    ],
  ] as const) {
    assert.deepEqual(
      check({ ...good, spec }).failures.map((f) => f.property),
      [property],
      JSON.stringify(spec),
    );
  }
  // ...but not what only fails because a value is not known yet (persistence.size, a rule reading nodes)
  assert.deepEqual(
    check({ ...good, spec: { nodes: UNKNOWN, topology: { type: "random", degree: 5 }, persistence: { size: UNKNOWN } } }).failures,
    [],
  );
});

test("a kubeconfig's contents never appear in a failure", () => {
  const { failures } = check({ ...good, kubeconfig: 42 });
  assert.equal(failures[0]?.property, "kubeconfig");
  assert.doesNotMatch(failures[0].reason, /42/);
});
