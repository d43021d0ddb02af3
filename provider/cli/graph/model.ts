// The network as a picture's model, and that model as Graphviz DOT (pure). Everything comes from the
// engine's own view: nodes and their state from NodeStatus (nodeState), links from the topology with
// whether each is connected (NetworkView.links). Laying it out is Graphviz's job (./draw.ts).
import type { NetworkView } from "../../engine";
import { nodeState, type NodeState } from "../../engine/status";
import { describeTopology } from "../render/status";

interface GraphNode {
  ordinal: number;
  pod: string;
  height?: number;
  state: NodeState;
}

interface GraphEdge {
  a: number;
  b: number;
  connected: boolean;
}

export interface GraphModel {
  /** `namespace/name · implementation · topology · height N`. */
  title: string;
  /** The topology type, which picks the default layout. */
  topology: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function graphModel(view: NetworkView): GraphModel {
  const { ref, spec, status } = view;
  return {
    title: `${ref.namespace}/${ref.name} · ${spec.implementation} · ${describeTopology(spec.topology)} · height ${status.height}`,
    topology: spec.topology.type,
    nodes: status.nodes.map((n) => ({
      ordinal: n.ordinal,
      pod: n.pod,
      ...(n.height === undefined ? {} : { height: n.height }),
      state: nodeState(n, status),
    })),
    edges: view.links.map((l) => ({ a: l.a, b: l.b, connected: l.connected })),
  };
}

/** Fill and outline per state: light fills so the dark labels stay readable. */
export const STATE_COLOURS: Record<NodeState, { fill: string; line: string }> = {
  ready: { fill: "#b7e4c7", line: "#2d6a4f" },
  lagging: { fill: "#ffe08a", line: "#9c6f00" },
  down: { fill: "#f6b8b8", line: "#a4161a" },
};
const EDGE_COLOURS = { connected: "#333333", missing: "#999999" };
const LABEL_COLOUR = "#111111";
/** The family the labels ask for; the PNG renderer is handed this font's file (./draw.ts). */
export const FONT_FAMILY = "DejaVu Sans";

/** Graphviz engines that lay out an undirected graph; `circo` suits rings and meshes, `neato` the rest. */
export const LAYOUTS = ["circo", "neato", "fdp", "sfdp", "twopi", "dot"] as const;
export type Layout = (typeof LAYOUTS)[number];

export function defaultLayout(model: GraphModel): Layout {
  return model.topology === "mesh" || model.topology === "ring" ? "circo" : "neato";
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function legend(title: string): string {
  const dot = (state: NodeState) => `<font color="${STATE_COLOURS[state].line}">●</font> ${state}`;
  return `<${esc(title)}<br/>` + `${dot("ready")}   ${dot("lagging")}   ${dot("down")}   ── connected   ╌╌ expected, not connected>`;
}

/**
 * DOT for `model`: node `n<ordinal>` (SVG id `node_<ordinal>`, class its state) labelled with its
 * ordinal and height; one edge per link (SVG id `link_<a>_<b>`, class `connected` or `missing`),
 * solid when connected, dashed when expected but missing.
 */
export function toDot(model: GraphModel, layout: Layout = defaultLayout(model)): string {
  const lines = [
    "graph regnet {",
    `  graph [layout=${layout}, label=${legend(model.title)}, labelloc=b, fontname="${FONT_FAMILY}", fontsize=11, fontcolor="${LABEL_COLOUR}", pad=0.3, bgcolor=white, overlap=false];`,
    `  node [shape=circle, style=filled, fixedsize=true, width=0.9, penwidth=2, fontname="${FONT_FAMILY}", fontsize=13, fontcolor="${LABEL_COLOUR}"];`,
    "  edge [penwidth=2];",
  ];
  for (const n of model.nodes) {
    const c = STATE_COLOURS[n.state];
    const height = n.height === undefined ? (n.state === "down" ? "down" : "?") : String(n.height);
    lines.push(
      `  n${n.ordinal} [id="node_${n.ordinal}", class="${n.state}", label=<<b>${n.ordinal}</b><br/><font point-size="10">${esc(height)}</font>>, fillcolor="${c.fill}", color="${c.line}"];`,
    );
  }
  for (const e of model.edges) {
    const style = e.connected ? `color="${EDGE_COLOURS.connected}"` : `color="${EDGE_COLOURS.missing}", style=dashed`;
    lines.push(`  n${e.a} -- n${e.b} [id="link_${e.a}_${e.b}", class="${e.connected ? "connected" : "missing"}", ${style}];`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
