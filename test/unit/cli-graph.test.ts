// The picture of a network: the model from the engine's view (states from nodeState, links from
// networkLinks), its DOT, and the real Graphviz (WASM) and resvg output read back — the SVG's nodes,
// links, states and dashes, and the PNG's filled circles with their labels drawn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import { computeStatus, networkLinks, type StatusInputs } from "../../provider/engine/status";
import { nodeIp as ip, nodeView, type NodeSketch } from "../support/nodes";
import type { NetworkView } from "../../provider/engine";
import { validateSpec } from "../../provider/spec";
import { defaultLayout, graphModel, toDot } from "../../provider/cli/graph/model";
import { dotToSvg, draw, formatOfFile, svgToPng } from "../../provider/cli/graph/draw";
import { describeModel } from "../../provider/cli/commands/graph";
import { pngFacts, svgFacts } from "../support/picture";

/** What a node reported: its height (and tip), and the nodes it added. */
const facts = (height: number, added: number[] = []): NodeSketch => ({
  height,
  hash: height.toString(16).padStart(64, "0"),
  version: "/Satoshi:29.99.0/",
  added: added.map((o) => `${ip(o)}:18444`),
});

/** A view as the engine builds it: the real computeStatus and networkLinks over the nodes (a node without facts did not answer). */
function view(input: object, pods: { ordinal: number; ready: boolean }[], f: [number, NodeSketch][]): NetworkView {
  const r = validateSpec(input);
  assert.ok(r.ok);
  const inputs: StatusInputs = {
    name: "net",
    spec: r.spec,
    nodes: pods.map((p) => nodeView(p.ordinal, { ready: p.ready, ...(new Map(f).get(p.ordinal) ?? { answered: false }) })),
    rpcSecretName: "net-rpc",
    now: new Date(),
  };
  return { ref: { name: "net", namespace: "ns" }, spec: r.spec, status: computeStatus(inputs), links: networkLinks(inputs) };
}

/** A ring of 4: node 0 and 1 at 105 and linked, node 2 behind at 101 and unlinked, node 3 down. */
const ring4 = () =>
  view(
    { nodes: 4, topology: { type: "ring" } },
    [0, 1, 2, 3].map((o) => ({ ordinal: o, ready: o !== 3 })),
    [
      [0, facts(105, [1])],
      [1, facts(105)],
      [2, facts(101)],
    ],
  );

test("graphModel: node states and links come from the engine's view", () => {
  const m = graphModel(ring4());
  assert.deepEqual(
    m.nodes.map((n) => [n.ordinal, n.state, n.height]),
    [
      [0, "ready", 105],
      [1, "ready", 105],
      [2, "lagging", 101],
      [3, "down", undefined],
    ],
  );
  assert.deepEqual(m.edges, [
    { a: 0, b: 1, connected: true },
    { a: 0, b: 3, connected: false },
    { a: 1, b: 2, connected: false },
    { a: 2, b: 3, connected: false },
  ]);
  assert.equal(m.title, "ns/net · bitcoin-core · ring · height 105");
  assert.equal(describeModel(m), "4 nodes (2 ready, 1 lagging, 1 down), 4 links (1 connected, 3 missing)");
  assert.equal(defaultLayout(m), "circo");
});

test("toDot: one node per ordinal labelled with ordinal and height, one edge per link, dashed when missing", () => {
  const dot = toDot(graphModel(ring4()));
  assert.match(dot, /^graph regnet \{/);
  assert.match(dot, /graph \[layout=circo,/);
  assert.match(dot, /n0 \[id="node_0", class="ready", label=<<b>0<\/b><br\/><font point-size="10">105<\/font>>/);
  assert.match(dot, /n3 \[id="node_3", class="down", label=<<b>3<\/b><br\/><font point-size="10">down<\/font>>/);
  assert.match(dot, /n0 -- n1 \[id="link_0_1", class="connected", color="#333333"\]/);
  assert.match(dot, /n1 -- n2 \[id="link_1_2", class="missing", color="#999999", style=dashed\]/);
  assert.equal(dot.match(/ -- /g)?.length, 4);
});

test("Graphviz lays out the DOT: the SVG has every node and link, with their states and dashes", async () => {
  const svg = await dotToSvg(toDot(graphModel(ring4())), "circo");
  const f = svgFacts(svg);
  assert.deepEqual(
    [...f.nodes].sort(([a], [b]) => a - b).map(([o, n]) => [o, n.state]),
    [
      [0, "ready"],
      [1, "ready"],
      [2, "lagging"],
      [3, "down"],
    ],
  );
  assert.deepEqual(
    [...f.edges].sort(([a], [b]) => a.localeCompare(b)).map(([id, e]) => [id, e.state, e.dashed]),
    [
      ["0_1", "connected", false],
      ["0_3", "missing", true],
      ["1_2", "missing", true],
      ["2_3", "missing", true],
    ],
  );
  // Laid out by Graphviz, not placed by hand: every node got its own position.
  const centres = [...svg.matchAll(/<ellipse[^>]* cx="([-\d.]+)" cy="([-\d.]+)"/g)].map((m) => `${m[1]},${m[2]}`);
  assert.equal(new Set(centres).size, 4);
});

test("the PNG: one filled circle per node in its state's colour, each with its label drawn", async () => {
  const png = await draw(toDot(graphModel(ring4())), "png", "circo");
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  const f = pngFacts(png);
  assert.deepEqual(
    { ready: f.blobs.ready.length, lagging: f.blobs.lagging.length, down: f.blobs.down.length },
    { ready: 2, lagging: 1, down: 1 },
  );
  for (const b of [...f.blobs.ready, ...f.blobs.lagging, ...f.blobs.down])
    assert.ok(b.labelPixels > 20, `label drawn: ${JSON.stringify(b)}`);
});

test("the label check sees text that fails to render: the same SVG drawn without any font has no label pixels", async () => {
  const svg = await dotToSvg(toDot(graphModel(ring4())), "circo");
  const bare = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: [] }, fitTo: { mode: "zoom", value: 2 }, background: "white" })
    .render()
    .asPng();
  const blobs = Object.values(pngFacts(bare).blobs).flat();
  assert.equal(blobs.length, 4);
  assert.ok(
    blobs.every((b) => b.labelPixels === 0),
    "no font, no label",
  );
  // And the renderer regnet uses draws them from the font it ships, whatever the system has.
  assert.ok(
    Object.values(pngFacts(svgToPng(svg)).blobs)
      .flat()
      .every((b) => b.labelPixels > 20),
  );
});

test("formatOfFile: the picture's format from the file name", () => {
  assert.equal(formatOfFile("net.svg"), "svg");
  assert.equal(formatOfFile("out/NET.PNG"), "png");
  assert.equal(formatOfFile("net.dot"), "dot");
  assert.equal(formatOfFile("net.jpg"), undefined);
  assert.equal(formatOfFile("net"), undefined);
});
