// What `regnet status` prints, from the engine's NetworkView (pure): one row per network, or one row
// per node of a named network; the same data as JSON or YAML for scripts.
import YAML from "yaml";
import type { NetworkView } from "../../engine";
import type { Topology } from "../../spec";
import { table } from "./table";

export type OutputFormat = "table" | "json" | "yaml";

/** One network in a line (the list's rows, and its JSON/YAML items). */
export interface NetworkSummary {
  namespace: string;
  name: string;
  implementation: string;
  topology: string;
  nodes: number;
  readyNodes: number;
  /** Links the topology wants that are connected now, of all it wants. */
  links: { connected: number; expected: number };
  wired: boolean;
  synced: boolean;
  height: number;
}

/** `mesh`, `ring`, `random (degree 2, seed 7)`, `edges (4)`. */
export function describeTopology(t: Topology): string {
  switch (t.type) {
    case "random":
      return `random (degree ${t.degree ?? 2}, seed ${t.seed ?? 0})`;
    case "edges":
      return `edges (${t.edges?.length ?? 0})`;
    default:
      return t.type;
  }
}

export function summarize(view: NetworkView): NetworkSummary {
  const { ref, spec, status, links } = view;
  return {
    namespace: ref.namespace,
    name: ref.name,
    implementation: spec.implementation,
    topology: describeTopology(spec.topology),
    nodes: spec.nodes,
    readyNodes: status.readyNodes,
    links: { connected: links.filter((l) => l.connected).length, expected: links.length },
    wired: status.wired,
    synced: status.synced,
    height: status.height,
  };
}

const yesNo = (b: boolean) => (b ? "yes" : "no");

/** NAME NODES READY WIRED SYNCED HEIGHT (NAMESPACE first with -A). WIRED: links connected/expected. */
export function networksTable(list: readonly NetworkSummary[], { allNamespaces }: { allNamespaces: boolean }): string {
  const header = ["NAME", "IMPLEMENTATION", "NODES", "READY", "WIRED", "SYNCED", "HEIGHT"];
  const rows = list.map((s) => [
    s.name,
    s.implementation,
    String(s.nodes),
    `${s.readyNodes}/${s.nodes}`,
    `${s.links.connected}/${s.links.expected}`,
    yesNo(s.synced),
    String(s.height),
  ]);
  return allNamespaces
    ? table(
        ["NAMESPACE", ...header],
        rows.map((r, i) => [list[i].namespace, ...r]),
      )
    : table(header, rows);
}

/** Length of the best-block-hash prefix shown in the node table. */
export const TIP_PREFIX = 16;

/** A line about the network, then ORDINAL POD IP READY PEERS HEIGHT TIP VERSION per node. */
export function nodesTable(view: NetworkView): string {
  const s = summarize(view);
  const head =
    `network ${s.namespace}/${s.name}: ${s.implementation}, ${s.topology}, ${s.readyNodes}/${s.nodes} ready, ` +
    `${s.links.connected}/${s.links.expected} links connected, ${s.synced ? "synced" : "not synced"}, height ${s.height}\n`;
  const rows = view.status.nodes.map((n) => [
    String(n.ordinal),
    n.pod,
    n.ip ?? "-",
    yesNo(n.ready),
    `${n.peers}/${n.expectedPeers}`,
    n.height === undefined ? "-" : String(n.height),
    n.bestBlockHash ? n.bestBlockHash.slice(0, TIP_PREFIX) : "-",
    n.version ?? "-",
  ]);
  return head + table(["ORDINAL", "POD", "IP", "READY", "PEERS", "HEIGHT", "TIP", "VERSION"], rows);
}

/** A named network for JSON/YAML: the summary, every node, every link, the conditions. */
export function networkDocument(view: NetworkView) {
  const { status } = view;
  return {
    ...summarize(view),
    nodeStatus: status.nodes,
    linkStatus: view.links,
    conditions: status.conditions,
    rpcSecretName: status.rpcSecretName,
  };
}

export function formatDocument(format: Exclude<OutputFormat, "table">, doc: unknown, { compact = false } = {}): string {
  if (format === "yaml") return YAML.stringify(doc);
  return `${JSON.stringify(doc, null, compact ? undefined : 2)}\n`;
}
