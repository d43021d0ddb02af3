// What `regnet status`, `rpc`, `mine` and `wait` print and decide, from engine views built by the
// real computeStatus/networkLinks (no cluster): tables, JSON/YAML documents, result formatting,
// wait conditions and the mine's tip spread.
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { computeStatus, networkLinks, type StatusInputs } from "../../provider/engine/status";
import { nodeIp as ip, nodeView, type NodeSketch } from "../support/nodes";
import type { NetworkView } from "../../provider/engine";
import { validateSpec } from "../../provider/spec";
import { describeTopology, formatDocument, networkDocument, networksTable, nodesTable, summarize } from "../../provider/cli/render/status";
import { table } from "../../provider/cli/render/table";
import { formatResult } from "../../provider/cli/commands/rpc";
import { conditionMet } from "../../provider/cli/commands/wait";
import { tipSpread } from "../../provider/cli/commands/mine";

const hash = (h: number) => h.toString(16).padStart(64, "0");
/** What a node reported: its height (and tip), and the nodes it added. */
const facts = (height: number, added: number[] = []): NodeSketch => ({
  height,
  hash: hash(height),
  version: "btcd 0.26.2",
  added: added.map((o) => `${ip(o)}:18444`),
});

/** A view built by the real computeStatus/networkLinks over the nodes (a node without facts did not answer). */
function view(name: string, input: object, ready: boolean[], f: [number, NodeSketch][]): NetworkView {
  const r = validateSpec(input);
  assert.ok(r.ok);
  const inputs: StatusInputs = {
    name,
    spec: r.spec,
    nodes: ready.map((rd, o) => nodeView(o, { pod: `${name}-${o}`, ready: rd, ...(new Map(f).get(o) ?? { answered: false }) })),
    rpcSecretName: `${name}-rpc`,
    now: new Date("2026-12-01T00:00:00Z"),
  };
  return { ref: { name, namespace: "ns" }, spec: r.spec, status: computeStatus(inputs), links: networkLinks(inputs) };
}

const settled = () =>
  view(
    "alpha",
    { nodes: 3, implementation: "btcd", topology: { type: "ring" } },
    [true, true, true],
    [
      [0, facts(101, [1, 2])],
      [1, facts(101, [2])],
      [2, facts(101)],
    ],
  );
const broken = () =>
  view(
    "beta",
    { nodes: 3, topology: { type: "random", degree: 2, seed: 7 } },
    [true, true, false],
    [
      [0, facts(103, [1])],
      [1, facts(102)],
    ],
  );

test("table: upper-case headers, columns two spaces apart, no trailing blanks", () => {
  assert.equal(table(["A", "LONGER"], [["xyz", "1"]]), "A    LONGER\nxyz  1\n");
});

test("status list: NAME IMPLEMENTATION NODES READY WIRED (links) SYNCED HEIGHT, NAMESPACE first with -A", () => {
  const rows = [summarize(settled()), summarize(broken())];
  assert.equal(
    networksTable(rows, { allNamespaces: false }),
    [
      "NAME   IMPLEMENTATION  NODES  READY  WIRED  SYNCED  HEIGHT",
      "alpha  btcd            3      3/3    3/3    yes     101",
      "beta   bitcoin-core    3      2/3    1/3    no      103",
      "",
    ].join("\n"),
  );
  assert.match(networksTable(rows, { allNamespaces: true }).split("\n")[1], /^ns {9}alpha /);
});

test("status of one network: a line about it, then a row per node with peers, height, tip prefix and version", () => {
  assert.equal(
    nodesTable(broken()),
    [
      "network ns/beta: bitcoin-core, random (degree 2, seed 7), 2/3 ready, 1/3 links connected, not synced, height 103",
      "ORDINAL  POD     IP           READY  PEERS  HEIGHT  TIP               VERSION",
      `0        beta-0  10.244.0.10  yes    1/1    103     ${hash(103).slice(0, 16)}  btcd 0.26.2`,
      `1        beta-1  10.244.0.11  yes    1/1    102     ${hash(102).slice(0, 16)}  btcd 0.26.2`,
      "2        beta-2  10.244.0.12  no     0/0    -       -                 -",
      "",
    ].join("\n"),
  );
});

test("status -o json|yaml: the summary plus every node, link and condition", () => {
  const doc = networkDocument(broken());
  const json = JSON.parse(formatDocument("json", doc)) as typeof doc;
  assert.equal(json.readyNodes, 2);
  assert.deepEqual(json.links, { connected: 1, expected: 3 });
  assert.equal(json.nodeStatus.length, 3);
  assert.deepEqual(
    json.linkStatus.map((l) => l.connected),
    [true, false, false],
  );
  assert.deepEqual(
    json.conditions.map((c) => `${c.type}=${c.status}`),
    ["Ready=False", "Wired=False", "Synced=False"],
  );
  assert.deepEqual(YAML.parse(formatDocument("yaml", doc)), json);
  assert.equal(
    formatDocument("json", [summarize(settled())], { compact: true })
      .trim()
      .split("\n").length,
    1,
    "compact: one line (--watch)",
  );
});

test("describeTopology", () => {
  assert.equal(describeTopology({ type: "mesh" }), "mesh");
  assert.equal(describeTopology({ type: "random", degree: 3, seed: 1 }), "random (degree 3, seed 1)");
  assert.equal(
    describeTopology({
      type: "edges",
      edges: [
        [0, 1],
        [1, 2],
      ],
    }),
    "edges (2)",
  );
});

test("rpc results print as bitcoin-cli prints them: strings as they are, the rest as JSON", () => {
  assert.equal(formatResult("00ab"), "00ab\n");
  assert.equal(formatResult(101), "101\n");
  assert.equal(formatResult(null), "null\n");
  assert.equal(formatResult(undefined), "null\n");
  assert.equal(formatResult({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
});

test("wait conditions are the engine's: Ready, Wired, Synced conditions and `lacking` for converged", () => {
  assert.deepEqual(conditionMet("synced", undefined), { met: false, detail: "the network does not exist (yet)" });
  for (const c of ["ready", "wired", "synced", "converged"] as const) assert.equal(conditionMet(c, settled()).met, true, c);
  const b = broken();
  assert.deepEqual(conditionMet("ready", b), { met: false, detail: "2/3 nodes ready; node 2: not ready" });
  assert.equal(conditionMet("wired", b).met, false);
  assert.equal(conditionMet("synced", b).met, false);
  assert.match(conditionMet("converged", b).detail, /node 2 \(pod beta-2\): not Ready/);
  // Ready and wired, at one tip, but the initial blocks not mined yet: synced, not converged.
  const fresh = view(
    "gamma",
    { nodes: 2, topology: { type: "mesh" } },
    [true, true],
    [
      [0, facts(0, [1])],
      [1, facts(0)],
    ],
  );
  assert.equal(conditionMet("synced", fresh).met, true);
  assert.deepEqual(conditionMet("converged", fresh), { met: false, detail: "chain: height 0 < 101 initial blocks" });
});

test("mine: which ready nodes have the new tip (or moved past it)", () => {
  const v = broken(); // node 0 at 103, node 1 at 102, node 2 down
  assert.deepEqual(tipSpread(v, hash(103), 103), { have: [0], lack: [v.status.nodes[1]] });
  assert.deepEqual(tipSpread(v, hash(102), 102).have, [0, 1], "node 0 is past block 102");
});
