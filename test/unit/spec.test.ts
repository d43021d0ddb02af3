// The spec: defaults, ≥ 15 invalid specs each refused naming the field and the fix, CEL rules that
// cel-js evaluates exactly as written into the CRD, and a structurally valid CRD schema.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse as celParse } from "@marcbachmann/cel-js";
import {
  API_VERSION,
  BitcoinNetworkSpec,
  crdOpenApiSchema,
  defaultImage,
  nameRules,
  specRules,
  transitionRules,
  validateNetworkName,
  validateSpec,
} from "../../provider/spec";

function valid(input: unknown): BitcoinNetworkSpec {
  const r = validateSpec(input);
  if (!r.ok) assert.fail(`expected valid, got ${JSON.stringify(r.issues)}`);
  return r.spec;
}

test("identity", () => {
  assert.equal(API_VERSION, "regnet.dev/v1alpha1");
});

test("defaults fill an empty spec", () => {
  assert.deepEqual(valid({}), {
    nodes: 1,
    implementation: "bitcoin-core",
    image: "bitcoin/bitcoin:30.2",
    chain: "regtest",
    topology: { type: "mesh" },
    mining: { initialBlocks: 101 },
    extraArgs: [],
  });
  assert.equal(valid(undefined).nodes, 1);
});

test("the image default follows the implementation; an explicit image wins", () => {
  assert.equal(valid({ implementation: "btcd" }).image, defaultImage("btcd"));
  assert.equal(defaultImage("btcd"), "ghcr.io/regnet-dev/btcd:v0.26.2");
  assert.equal(valid({ implementation: "btcd", image: "my/btcd:1" }).image, "my/btcd:1");
});

test("valid specs pass", () => {
  const cases: unknown[] = [
    { nodes: 0 },
    { nodes: 100, topology: { type: "ring" } },
    { nodes: 5, topology: { type: "random", degree: 2, seed: 7 } },
    { nodes: 0, topology: { type: "random", degree: 2 } },
    {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [1, 2],
        ],
      },
    },
    { nodes: 2, topology: { type: "edges", edges: [] } },
    { mining: { initialBlocks: 0, intervalSeconds: 1 } },
    { extraArgs: ["-txindex=1", "--debug=net", "-blocksonly", "-nolistenonion"] },
    { resources: { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: 1, memory: "1Gi" } } },
    { persistence: { size: "1Gi", storageClassName: "local-path" } },
    { rpc: { secretName: "my-rpc.creds" } },
    { chain: "regtest", implementation: "btcd" },
    { nodes: 50, topology: { type: "mesh" } },
    { nodes: 100, implementation: "btcd", topology: { type: "mesh" } },
    { nodes: 100, topology: { type: "random", degree: 4 } },
    { nodes: 100, implementation: "btcd", topology: { type: "edges", edges: Array.from({ length: 99 }, (_, i) => [i, i + 1]) } },
    { image: "btcd" },
    { image: "ghcr.io/regnet-dev/btcd:v0.26.2" },
    { image: "localhost:5000/team/bitcoin_core-x:29.0-rc1" },
    { image: `bitcoin/bitcoin:30.2@sha256:${"ab".repeat(32)}` },
    { image: "[::1]:5000/bitcoind" },
    { resources: { limits: { memory: "+1Gi", cpu: "1e-1" } } },
  ];
  for (const c of cases) valid(c);
});

// Each: input, the field that must be named, and a word the message must contain (the fix).
const invalid: [string, unknown, string, RegExp][] = [
  ["nodes too many", { nodes: 101 }, "nodes", /at most 100/],
  ["nodes negative", { nodes: -1 }, "nodes", /at least 0/],
  ["Core mesh over 50", { nodes: 51, topology: { type: "mesh" } }, "nodes", /mesh with Bitcoin Core is limited to 50 nodes.*random/],
  ["nodes fractional", { nodes: 1.5 }, "nodes", /whole number/],
  ["nodes as string", { nodes: "3" }, "nodes", /whole number/],
  ["unknown implementation", { implementation: "bcoin" }, "implementation", /bitcoin-core, btcd/],
  ["mainnet chain", { chain: "main" }, "chain", /regtest/],
  ["testnet chain", { chain: "testnet" }, "chain", /set chain to regtest/],
  ["unknown topology", { topology: { type: "star" } }, "topology.type", /mesh, ring, random, edges/],
  ["degree without random", { nodes: 3, topology: { type: "mesh", degree: 2 } }, "topology.degree", /set type: random/],
  ["seed without random", { nodes: 3, topology: { type: "ring", seed: 2 } }, "topology.seed", /set type: random/],
  ["random without degree", { nodes: 3, topology: { type: "random" } }, "topology.degree", /add degree/],
  [
    "degree ≥ nodes",
    { nodes: 3, topology: { type: "random", degree: 3 } },
    "topology.degree",
    /must be less than nodes: lower topology.degree or add nodes/,
  ],
  ["degree zero", { nodes: 3, topology: { type: "random", degree: 0 } }, "topology.degree", /at least 1/],
  ["edges without type edges", { nodes: 3, topology: { type: "mesh", edges: [[0, 1]] } }, "topology.edges", /set type: edges/],
  ["type edges without edges", { nodes: 3, topology: { type: "edges" } }, "topology.edges", /add edges/],
  [
    "edge ordinal ≥ nodes",
    { nodes: 3, topology: { type: "edges", edges: [[0, 3]] } },
    "topology.edges",
    /not below nodes: drop that edge or add nodes/,
  ],
  ["self-loop", { nodes: 3, topology: { type: "edges", edges: [[1, 1]] } }, "topology.edges", /itself/],
  [
    "duplicate edge",
    {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [1, 2],
          [0, 1],
        ],
      },
    },
    "topology.edges",
    /lists a link twice.*remove the duplicate/,
  ],
  [
    "reversed duplicate edge",
    {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [1, 0],
        ],
      },
    },
    "topology.edges",
    /lists a link twice.*remove the duplicate/,
  ],
  [
    "too many edges",
    { nodes: 100, topology: { type: "edges", edges: Array.from({ length: 501 }, (_, i) => [i % 100, (i + 1) % 100]) } },
    "topology.edges",
    /more than 500 edges: use topology mesh or random/,
  ],
  ["edge of three", { nodes: 3, topology: { type: "edges", edges: [[0, 1, 2]] } }, "topology.edges.0", /pair/],
  ["negative ordinal", { nodes: 3, topology: { type: "edges", edges: [[-1, 1]] } }, "topology.edges.0.0", /start at 0/],
  ["negative initialBlocks", { mining: { initialBlocks: -5 } }, "mining.initialBlocks", /≥ 0/],
  ["zero interval", { mining: { intervalSeconds: 0 } }, "mining.intervalSeconds", /at least 1 second/],
  ["-testnet flag", { extraArgs: ["-testnet"] }, "extraArgs", /-testnet is refused.*regtest/],
  ["--simnet flag", { extraArgs: ["--simnet"] }, "extraArgs", /--simnet is refused/],
  ["-chain=main flag", { extraArgs: ["-chain=main"] }, "extraArgs", /-chain=main is refused/],
  ["-rpcport flag", { extraArgs: ["-rpcport=1"] }, "extraArgs", /-rpcport=1 is refused.*RPC/],
  ["--notls flag", { extraArgs: ["--notls"] }, "extraArgs", /--notls is refused/],
  ["-rpcpassword flag", { extraArgs: ["-rpcpassword=x"] }, "extraArgs", /-rpcpassword=x is refused/],
  ["--rpclisten flag", { extraArgs: ["--rpclisten=0.0.0.0:1"] }, "extraArgs", /--rpclisten/],
  ["-datadir flag", { extraArgs: ["-datadir=/x"] }, "extraArgs", /-datadir=\/x is refused.*data directory/],
  ["-nolisten flag", { extraArgs: ["-nolisten"] }, "extraArgs", /-nolisten is refused/],
  ["-conf flag", { extraArgs: ["-conf=/etc/x"] }, "extraArgs", /-conf=\/etc\/x is refused/],
  ["--listen flag", { extraArgs: ["--listen=0.0.0.0:1"] }, "extraArgs", /--listen=0.0.0.0:1 is refused/],
  ["not a flag", { extraArgs: ["txindex"] }, "extraArgs.0", /starting with -/],
  [
    "btcd single-dash flag",
    { implementation: "btcd", extraArgs: ["--txindex", "-b/tmp/x"] },
    "extraArgs",
    /-b\/tmp\/x is refused: btcd reads one dash as short options/,
  ],
  ["bad cpu quantity", { resources: { limits: { cpu: "lots" } } }, "resources.limits.cpu", /quantity such as "250m"/],
  ["fractional memory number", { resources: { requests: { memory: 0.5 } } }, "resources.requests.memory", /quantity/],
  ["unknown resource", { resources: { requests: { gpu: 1 } } }, "resources.requests.gpu", /cpu, memory/],
  ["persistence without size", { persistence: {} }, "persistence.size", /quantity such as "1Gi"/],
  ["bad storage class", { persistence: { size: "1Gi", storageClassName: "Fast_SSD" } }, "persistence.storageClassName", /DNS-1123/],
  ["bad secret name", { rpc: { secretName: "My Secret" } }, "rpc.secretName", /DNS-1123/],
  ["empty image", { image: "" }, "image", /must not be empty/],
  ["image with a space", { image: "bitcoin/bitcoin 30.2" }, "image", /image reference such as bitcoin\/bitcoin:30.2.*fix image/],
  ["image with an uppercase path", { image: "bitcoin/Bitcoin:30.2" }, "image", /image reference/],
  ["image with an empty tag", { image: "bitcoin/bitcoin:" }, "image", /image reference/],
  ["image with a short digest", { image: "bitcoin/bitcoin@sha256:abc" }, "image", /image reference/],
  ["negative memory string", { resources: { limits: { memory: "-1Gi" } } }, "resources.limits.memory", /quantity such as "256Mi"/],
  ["negative cpu number", { resources: { requests: { cpu: -1 } } }, "resources.requests.cpu", /quantity such as "250m"/],
  ["unknown top-level field", { node: 3 }, "node", /unknown field node.*nodes/],
  ["unknown nested field", { mining: { blocks: 3 } }, "mining.blocks", /allowed here: initialBlocks, intervalSeconds/],
  ["spec not an object", "mesh", "spec", /must be an object/],
];

test(`${invalid.length} invalid specs are refused, naming the field and the fix`, () => {
  assert.ok(invalid.length >= 15);
  for (const [name, input, field, message] of invalid) {
    const r = validateSpec(input);
    assert.equal(r.ok, false, `${name}: accepted`);
    if (r.ok) continue;
    const hit = r.issues.find((i) => i.field === field);
    assert.ok(hit, `${name}: no issue for ${field} in ${JSON.stringify(r.issues)}`);
    assert.match(hit.message, message, `${name}: ${hit.message}`);
  }
});

test("several problems are reported together", () => {
  const r = validateSpec({ nodes: 3, topology: { type: "random", degree: 4 }, extraArgs: ["-signet", "-rpcbind=1.2.3.4"] });
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.issues.map((i) => i.field).sort(), ["extraArgs", "extraArgs", "topology.degree"]);
});

test("persistence is immutable when the previous spec is given", () => {
  const before = valid({ persistence: { size: "1Gi" } });
  const cases: [unknown, boolean][] = [
    [{ persistence: { size: "1Gi" } }, true],
    [{ persistence: { size: "1Gi" }, nodes: 4 }, true],
    [{ persistence: { size: "2Gi" } }, false],
    [{}, false],
  ];
  for (const [input, ok] of cases) {
    const r = validateSpec(input, before);
    assert.equal(r.ok, ok, JSON.stringify(input));
    if (!r.ok) assert.equal(r.issues[0].field, "persistence");
  }
  const r = validateSpec({ persistence: { size: "1Gi" } }, valid({}));
  assert.equal(r.ok, false, "adding persistence later is refused too");
  assert.equal(validateSpec({ persistence: { size: "5Gi" } }).ok, true, "without a previous spec there is nothing to compare");
});

test("network names: DNS-1123 label of at most 52 characters", () => {
  assert.deepEqual(validateNetworkName("demo-1"), []);
  assert.deepEqual(validateNetworkName("a".repeat(52)), []);
  for (const bad of ["", "Demo", "-x", "x-", "a_b", "a.b", "1net", "a".repeat(53), 42]) {
    const issues = validateNetworkName(bad);
    assert.ok(issues.length > 0, String(bad));
    assert.equal(issues[0].field, "metadata.name");
    assert.match(issues[0].message, /name/);
  }
  assert.match(validateNetworkName("a".repeat(53))[0].message, /at most 52 characters.*shorten the name/);
  assert.match(validateNetworkName("1net")[0].message, /start with a lowercase letter.*rename the network/);
});

test("every CEL rule and message expression parses and type-checks in cel-js", () => {
  for (const r of [...specRules, ...transitionRules, ...nameRules]) {
    assert.ok(r.message.length > 0);
    assert.match(r.fieldPath, /^\.[a-zA-Z.]+$/);
    for (const expr of [r.rule, r.messageExpression].filter((e): e is string => !!e)) {
      assert.doesNotThrow(() => celParse(expr), expr);
    }
  }
});

// --- the CRD schema ---------------------------------------------------------------------------

/** The parts of a structural schema these tests read. */
interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maxItems?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  items?: Schema | Schema[] | boolean;
  additionalProperties?: unknown;
  anyOf?: Schema[];
  required?: string[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: { rule: string; fieldPath?: string }[];
}
/** The one items schema of an array schema. */
const itemsOf = (s: Schema | undefined): Schema | undefined =>
  s?.items && typeof s.items === "object" && !Array.isArray(s.items) ? s.items : undefined;

/** The API server's structural-schema rules that a generated schema could break. */
function structuralProblems(s: Schema, path: string, inCombinator = false): string[] {
  const out: string[] = [];
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  if (!inCombinator && !intOrString && !s["x-kubernetes-preserve-unknown-fields"] && typeof s.type !== "string")
    out.push(`${path}: no type`);
  for (const k of Object.keys(s))
    if (k.startsWith("$") || ["const", "prefixItems", "oneOf", "not", "nullable", "definitions", "$defs"].includes(k))
      out.push(`${path}: ${k}`);
  if (s.additionalProperties !== undefined && s.properties) out.push(`${path}: additionalProperties next to properties`);
  if (s.type === "array" && (typeof s.items !== "object" || Array.isArray(s.items))) out.push(`${path}: array without one items schema`);
  if (s.type === "object" && s.properties === undefined && s.additionalProperties === undefined && path !== "metadata")
    out.push(`${path}: object without properties`);
  if (s.anyOf) {
    if (!intOrString) out.push(`${path}: anyOf outside int-or-string`);
    for (const b of s.anyOf) {
      if (Object.keys(b).some((k) => k !== "type")) out.push(`${path}: anyOf branch with more than a type`);
    }
  }
  if (s.enum && s.type && !s.enum.every((v) => typeof v === (s.type === "integer" ? "number" : s.type))) out.push(`${path}: enum type`);
  if (s.required) for (const r of s.required) if (!s.properties?.[r]) out.push(`${path}: required ${r} is not a property`);
  for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...structuralProblems(v, path ? `${path}.${k}` : k));
  const items = itemsOf(s);
  if (items) out.push(...structuralProblems(items, `${path}[]`));
  return out;
}

test("the CRD schema is structural", () => {
  const schema = crdOpenApiSchema();
  assert.equal(schema.type, "object");
  assert.deepEqual(structuralProblems(schema, ""), []);
  // The checker itself notices a broken schema (so the assertion above can fail).
  assert.notDeepEqual(
    structuralProblems({ type: "object", properties: { a: { anyOf: [{ type: "string" }, { type: "integer" }] } } }, ""),
    [],
  );
});

test("the CRD schema keeps defaults, enums, bounds, and carries every CEL rule once", () => {
  const spec = (crdOpenApiSchema() as Schema).properties!.spec;
  const p = spec.properties!;
  assert.deepEqual(p.nodes, { default: 1, description: p.nodes.description, type: "integer", minimum: 0, maximum: 100 });
  assert.deepEqual(p.implementation.enum, ["bitcoin-core", "btcd"]);
  assert.equal(p.implementation.default, "bitcoin-core");
  assert.deepEqual(p.chain.enum, ["regtest"]);
  assert.deepEqual(p.topology.default, { type: "mesh" });
  assert.deepEqual(p.topology.properties?.type.enum, ["mesh", "ring", "random", "edges"]);
  assert.deepEqual(p.topology.properties?.edges.items, {
    type: "array",
    items: { type: "integer", minimum: 0, maximum: 99 },
    minItems: 2,
    maxItems: 2,
  });
  assert.deepEqual(p.mining.default, { initialBlocks: 101 });
  assert.equal(p.mining.properties?.intervalSeconds.minimum, 1);
  assert.equal(p.persistence.properties?.size["x-kubernetes-int-or-string"], true);
  assert.deepEqual(p.persistence.required, ["size"]);
  assert.ok(p.extraArgs.maxItems! > 0 && itemsOf(p.extraArgs)!.maxLength! > 0, "lists and strings used by CEL rules are bounded (cost)");
  assert.equal(p.image.default, undefined, "the image default depends on the implementation: filled by the engine");
  const { image: _image, ...withoutImage } = valid({});
  assert.deepEqual(spec.default, withoutImage, "a missing spec defaults to every default, spelled out");
  const rules = spec["x-kubernetes-validations"] ?? [];
  assert.deepEqual(
    rules.map((r) => r.rule),
    [...specRules, ...transitionRules].map((r) => r.rule),
  );
  assert.ok(
    rules.some((r) => r.rule.includes("oldSelf")),
    "the immutability rule is a transition rule",
  );
  const onObject = (crdOpenApiSchema() as Schema)["x-kubernetes-validations"] ?? [];
  assert.deepEqual(
    onObject.map((r) => r.rule),
    nameRules.map((r) => r.rule),
    "the name rules sit on the object, where CEL sees metadata.name",
  );
  assert.ok(
    onObject.every((r) => r.fieldPath === undefined),
    "the API server refuses a fieldPath into metadata",
  );
  for (const r of rules) assert.ok(p[r.fieldPath?.split(".")[1] ?? ""], `${r.fieldPath} exists`);
});

test("the CRD status schema has what the scale subresource and printer columns need", () => {
  const status = (crdOpenApiSchema() as Schema).properties!.status.properties!;
  for (const k of ["nodes", "readyNodes", "selector", "wired", "synced", "height", "conditions", "observedGeneration", "rpcSecretName"])
    assert.ok(status[k], k);
  assert.equal(status.readyNodes.type, "integer");
  assert.equal(status.selector.type, "string");
  assert.deepEqual(status.conditions["x-kubernetes-list-map-keys"], ["type"]);
  assert.ok(itemsOf(status.conditions)?.properties?.observedGeneration);
  assert.deepEqual(Object.keys(itemsOf(status.nodes)?.properties ?? {}).sort(), [
    "bestBlockHash",
    "expectedPeers",
    "height",
    "ip",
    "ordinal",
    "peers",
    "pod",
    "ready",
    "version",
  ]);
});
