// charts-out/ against the sandbox's real API server: it applies cleanly with server-side apply,
// the CRD fills in defaults, refuses bad networks with the message of the schema bound or CEL rule
// that caught them, prints its columns, and scales through the scale subresource.
//
// The controller Deployment and the example networks are applied as a *server dry run*: admission,
// schema and CEL run in full, nothing is stored. Stored for real they would start an in-cluster
// controller in the shared sandbox that reconciles (and leader-elects against) every other test's
// networks. Everything else is applied for real: the other checks here need it.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { apiStatus } from "../../provider/kube/errors";
import { GROUP, PLURAL, VERSION, type BitcoinNetworkSpecInput } from "../../provider/spec";
import { kubeConfig, tempNamespace } from "../support/cluster";
import { applyPlatform, chartFiles, chartObjects, chartsOut, exampleFiles, examplesDir, kubectl, toYaml } from "./platform-helpers";
import { PLATFORM_FILES } from "../../infra/cdk8s/defaults";

let ns: { name: string; cleanup: () => Promise<void> };
let custom: k8s.CustomObjectsApi;

before(async () => {
  applyPlatform();
  ns = await tempNamespace("platform-crd");
  custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
});

after(async () => {
  await ns?.cleanup();
  // The example chart's Namespace was applied for real (see the first test).
  kubectl(["delete", "namespace", "regnet-examples", "--ignore-not-found", "--wait=false"], { allowFail: true });
});

function network(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: "BitcoinNetwork", metadata: { name }, spec };
}

/** A BitcoinNetwork as the API server returns it. */
type StoredNetwork = { metadata: k8s.V1ObjectMeta; spec: BitcoinNetworkSpecInput };

async function create(body: Record<string, unknown>): Promise<StoredNetwork> {
  return custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: ns.name,
    body,
    fieldValidation: "Strict",
  }) as Promise<StoredNetwork>;
}

/** The API server's refusal message for `body`, or fails if it was accepted. */
async function refusal(body: Record<string, unknown>): Promise<string> {
  try {
    await create(body);
  } catch (err) {
    // 422 Invalid (schema, CEL); 400 BadRequest for an unknown field under strict field validation.
    const status = apiStatus(err);
    if (status && (status.code === 422 || status.code === 400)) return status.message ?? "";
    throw err;
  }
  assert.fail(`the API server accepted ${JSON.stringify(body)}`);
}

test("all of charts-out applies with server-side apply (platform for real, then the whole directory and its examples)", () => {
  // Applying the platform again is idempotent.
  const again = applyPlatform();
  assert.match(again.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/bitcoinnetworks\.regnet\.dev serverside-applied/);
  assert.deepEqual(chartFiles(), PLATFORM_FILES, "charts-out/ itself holds the platform only");
  // The example networks' Namespace for real: a dry run of objects inside it needs it to exist.
  const examples = exampleFiles()
    .flatMap(chartObjects)
    .filter((o) => o.kind === "Namespace");
  assert.deepEqual(
    examples.map((o) => o.metadata.name),
    ["regnet-examples"],
  );
  kubectl(["apply", "--server-side", "-f", "-"], { input: toYaml(examples) });
  const r = kubectl(["apply", "--server-side", "--dry-run=server", "-f", chartsOut, "-f", examplesDir]);
  const lines = r.stdout.trim().split("\n");
  console.log(r.stdout.trim());
  for (const want of [
    "customresourcedefinition.apiextensions.k8s.io/bitcoinnetworks.regnet.dev",
    "namespace/regnet-system",
    "clusterrole.rbac.authorization.k8s.io/regnet-controller",
    "clusterrolebinding.rbac.authorization.k8s.io/regnet-controller",
    "serviceaccount/regnet-controller",
    "role.rbac.authorization.k8s.io/regnet-controller-leader-election",
    "rolebinding.rbac.authorization.k8s.io/regnet-controller-leader-election",
    "deployment.apps/regnet-controller",
    "bitcoinnetwork.regnet.dev/btcd-ring",
    "bitcoinnetwork.regnet.dev/core-mesh",
  ]) {
    assert.ok(
      lines.some((l) => l.startsWith(`${want} serverside-applied`)),
      `${want} was not applied:\n${r.stdout}${r.stderr}`,
    );
  }
  assert.equal(r.stderr.trim(), "", "no warnings");
});

test("a valid BitcoinNetwork is accepted and the API server fills in its defaults", async () => {
  const created = await create(network("defaults", { implementation: "btcd", nodes: 3 }));
  console.log("stored spec:", JSON.stringify(created.spec));
  assert.deepEqual(created.spec, {
    implementation: "btcd",
    nodes: 3,
    chain: "regtest",
    topology: { type: "mesh" },
    mining: { initialBlocks: 101 },
    extraArgs: [],
  });
  const empty = await create(network("all-defaults", {}));
  assert.equal(empty.spec.nodes, 1);
  assert.equal(empty.spec.implementation, "bitcoin-core");
});

// Each bad spec with the field and message the API server must answer with: schema bounds and
// enums in the API server's words, cross-field rules in the CEL rule's own message.
const INVALID: { name: string; spec: unknown; field: string; message: string }[] = [
  { name: "too-many-nodes", spec: { nodes: 101 }, field: "spec.nodes", message: "should be less than or equal to 100" },
  { name: "negative-nodes", spec: { nodes: -1 }, field: "spec.nodes", message: "should be greater than or equal to 0" },
  {
    name: "bad-implementation",
    spec: { implementation: "litecoin" },
    field: "spec.implementation",
    message: 'Unsupported value: "litecoin": supported values: "bitcoin-core", "btcd"',
  },
  { name: "mainnet", spec: { chain: "main" }, field: "spec.chain", message: 'Unsupported value: "main": supported values: "regtest"' },
  {
    name: "bad-topology",
    spec: { topology: { type: "star" } },
    field: "spec.topology.type",
    message: 'Unsupported value: "star": supported values: "mesh", "ring", "random", "edges"',
  },
  {
    name: "degree-on-ring",
    spec: { nodes: 4, topology: { type: "ring", degree: 2 } },
    field: "spec.topology.degree",
    message: "topology.degree applies to topology.type random only: remove degree or set type: random",
  },
  {
    name: "random-without-degree",
    spec: { nodes: 4, topology: { type: "random" } },
    field: "spec.topology.degree",
    message: "topology.type random needs topology.degree (peers per node): add degree, e.g. 2",
  },
  {
    name: "degree-not-below-nodes",
    spec: { nodes: 3, topology: { type: "random", degree: 3 } },
    field: "spec.topology.degree",
    message: "topology.degree must be less than nodes: lower topology.degree or add nodes",
  },
  {
    name: "edges-without-list",
    spec: { nodes: 3, topology: { type: "edges" } },
    field: "spec.topology.edges",
    message: "topology.type edges needs topology.edges, a list of [a, b] ordinal pairs: add edges",
  },
  {
    name: "self-edge",
    spec: { nodes: 3, topology: { type: "edges", edges: [[1, 1]] } },
    field: "spec.topology.edges",
    message: "topology.edges must not link a node to itself: remove the [n, n] edge",
  },
  {
    name: "edge-beyond-nodes",
    spec: { nodes: 3, topology: { type: "edges", edges: [[0, 5]] } },
    field: "spec.topology.edges",
    message: "topology.edges names a node ordinal that is not below nodes: drop that edge or add nodes",
  },
  {
    name: "testnet-flag",
    spec: { extraArgs: ["-testnet"] },
    field: "spec.extraArgs",
    message: "extraArgs: -testnet is refused: it selects the chain, and regnet always runs regtest",
  },
  { name: "not-a-flag", spec: { extraArgs: ["txindex"] }, field: "spec.extraArgs[0]", message: "should match '^--?[A-Za-z]'" },
  { name: "unknown-field", spec: { node: 3 }, field: "", message: 'unknown field "spec.node"' },
];

test(`${INVALID.length} invalid BitcoinNetworks are refused by the API server with their rule's message`, async () => {
  const rows: string[] = [];
  for (const c of INVALID) {
    const message = await refusal(network(c.name, c.spec));
    rows.push(`${c.name.padEnd(24)} ${message}`);
    assert.ok(message.includes(c.message), `${c.name}: want "${c.message}" in:\n${message}`);
    if (c.field) assert.ok(message.includes(`${c.field}: `), `${c.name}: want field ${c.field} in:\n${message}`);
  }
  console.log(rows.join("\n"));
});

test("persistence cannot change once set (a CEL transition rule)", async () => {
  await create(network("persistent", { persistence: { size: "1Gi" } }));
  const r = kubectl(
    ["patch", "bitcoinnetwork", "persistent", "-n", ns.name, "--type=merge", "-p", '{"spec":{"persistence":{"size":"2Gi"}}}'],
    { allowFail: true },
  );
  console.log(r.stderr.trim());
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.persistence: .*persistence is immutable \(a StatefulSet's volume claims cannot change\)/);
});

test("kubectl get shows the columns; the short name and the regnet category list networks", async () => {
  await create(network("columns", { implementation: "btcd", nodes: 3, topology: { type: "ring" } }));
  // What the controller writes through /status, so that the columns have values to show.
  await custom.patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: ns.name,
      name: "columns",
      body: [
        {
          op: "add",
          path: "/status",
          value: {
            readyNodes: 2,
            selector: "regnet.dev/network=columns",
            wired: true,
            synced: false,
            height: 101,
            nodes: [],
            conditions: [],
            rpcSecretName: "columns-rpc",
          },
        },
      ],
    },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
  );
  const table = kubectl(["get", "bitcoinnetworks", "columns", "-n", ns.name]).stdout;
  console.log(table.trim());
  const [header, row] = table
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  assert.deepEqual(header, ["NAME", "NODES", "READY", "WIRED", "SYNCED", "HEIGHT", "AGE"]);
  assert.deepEqual(row.slice(0, 6), ["columns", "3", "2", "true", "false", "101"]);
  const wide = kubectl(["get", "btcnet", "columns", "-n", ns.name, "-o", "wide"]).stdout;
  assert.match(wide.split("\n")[0], /IMPLEMENTATION\s+TOPOLOGY/);
  assert.match(wide, /btcd\s+ring/);
  // `regnet` is the category: kubectl expands it to every kind in it (one so far).
  assert.match(kubectl(["get", "regnet", "-n", ns.name]).stdout, /^columns\s+3\s+2\s+true\s+false\s+101\s/m);
});

test("kubectl scale --replicas=5 sets .spec.nodes through the scale subresource", async () => {
  await create(network("scaled", { implementation: "btcd", nodes: 3 }));
  console.log(kubectl(["scale", "bitcoinnetwork/scaled", "-n", ns.name, "--replicas=5"]).stdout.trim());
  const got = (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: ns.name,
    name: "scaled",
  })) as StoredNetwork;
  assert.equal(got.spec.nodes, 5);
  const scale = JSON.parse(
    kubectl(["get", "bitcoinnetwork", "scaled", "-n", ns.name, "--subresource=scale", "-o", "json"]).stdout,
  ) as k8s.V1Scale;
  assert.equal(scale.kind, "Scale");
  assert.equal(scale.spec?.replicas, 5);
  // The schema's bound holds through the scale subresource too.
  const over = kubectl(["scale", "bitcoinnetwork/scaled", "-n", ns.name, "--replicas=101"], { allowFail: true });
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /spec\.nodes.*should be less than or equal to 100/);
});
