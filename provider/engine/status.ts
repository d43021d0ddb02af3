// Status, computed from what was observed of each node (./node.ts): its pod (ordinal, IP,
// readiness) and, for ready nodes, what it reported over RPC (tip, version, peers). Pure, so the
// controller's status, Pulumi outputs and `converge`'s progress all say the same thing.
import type { BitcoinNetworkSpec } from "../spec";
import { P2P_PORT } from "../spec/constants";
import { podName } from "./desired/common";
import { selectorString } from "./labels";
import type { NodeView } from "./node";
import { desiredEdges, edgesAmong, expectedPeers, type Edge } from "./wiring/topology";
import { edgeConnected } from "./wiring/plan";
import type { Condition, NetworkLink, NetworkStatus, NodeStatus } from "./types";

export interface StatusInputs {
  name: string;
  spec: Pick<BitcoinNetworkSpec, "nodes" | "topology">;
  /** The network's pods as observed, with what the ready ones reported. */
  nodes: readonly NodeView[];
  rpcSecretName: string;
  /** metadata.generation of the BitcoinNetwork this status answers (controller only). */
  generation?: number;
  /** Conditions of the previous status: unchanged ones keep their lastTransitionTime. */
  previous?: readonly Condition[];
  now: Date;
  p2pPort?: number;
}

const MAX_LISTED = 10;
function list(items: string[]): string {
  if (items.length <= MAX_LISTED) return items.join("; ");
  return `${items.slice(0, MAX_LISTED).join("; ")}; and ${items.length - MAX_LISTED} more`;
}

/**
 * When a condition last changed (metav1.Condition, as controller-runtime's SetStatusCondition keeps
 * it): the previous time while its status stays the same, else now.
 */
export function transitionTime(previous: readonly Condition[] | undefined, type: string, status: Condition["status"], now: Date): string {
  const before = previous?.find((c) => c.type === type);
  return before && before.status === status ? before.lastTransitionTime : now.toISOString();
}

function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  inputs: Pick<StatusInputs, "generation" | "previous" | "now">,
): Condition {
  const status = ok ? "True" : "False";
  const c: Condition = { type, status, lastTransitionTime: transitionTime(inputs.previous, type, status, inputs.now), reason, message };
  if (inputs.generation !== undefined) c.observedGeneration = inputs.generation;
  return c;
}

/**
 * Every link the topology wants among nodes 0..nodes-1, and whether it is connected now: both ends
 * ready and one of them seeing the other as a peer (./wiring/plan edgeConnected). A link to a node
 * that is down is expected and not connected. The links among ready nodes are what `wired` counts.
 */
export function networkLinks(inputs: Pick<StatusInputs, "spec" | "nodes" | "p2pPort">): NetworkLink[] {
  const { spec } = inputs;
  const port = inputs.p2pPort ?? P2P_PORT;
  const byOrdinal = new Map(inputs.nodes.filter((n) => n.ordinal < spec.nodes).map((n) => [n.ordinal, n]));
  const ready = (o: number) => !!(byOrdinal.get(o)?.ready && byOrdinal.get(o)?.ip);
  return desiredEdges(spec.topology, spec.nodes).map(([a, b]) => ({
    a,
    b,
    connected: ready(a) && ready(b) && edgeConnected([a, b], byOrdinal, port),
  }));
}

export function computeStatus(inputs: StatusInputs): NetworkStatus {
  const { spec } = inputs;
  const byOrdinal = new Map(inputs.nodes.filter((n) => n.ordinal < spec.nodes).map((n) => [n.ordinal, n]));
  const readyOrdinals = [...byOrdinal.values()].filter((n) => n.ready && n.ip).map((n) => n.ordinal);
  const links = networkLinks(inputs);
  const edges = edgesAmong(
    links.map((l): Edge => [l.a, l.b]),
    readyOrdinals,
  );
  const connected = links.filter((l) => l.connected).map((l): Edge => [l.a, l.b]);

  const nodes: NodeStatus[] = [];
  for (let ordinal = 0; ordinal < spec.nodes; ordinal++) {
    const seen = byOrdinal.get(ordinal);
    const ready = !!(seen?.ready && seen.ip);
    const node: NodeStatus = {
      ordinal,
      pod: seen?.pod ?? podName(inputs.name, ordinal),
      ready,
      peers: ready ? expectedPeers(connected, ordinal).length : 0,
      expectedPeers: expectedPeers(edges, ordinal).length,
    };
    if (seen?.ip) node.ip = seen.ip;
    const said = ready ? seen?.rpc : undefined;
    if (said) Object.assign(node, { height: said.tip.height, bestBlockHash: said.tip.bestBlockHash, version: said.version });
    nodes.push(node);
  }

  const readyNodes = nodes.filter((n) => n.ready).length;
  const allReady = readyNodes === spec.nodes;
  const notReady = nodes
    .filter((n) => !n.ready)
    .map((n) => `node ${n.ordinal}: ${!byOrdinal.has(n.ordinal) ? "no pod yet" : !n.ip ? "pod has no IP yet" : "not ready"}`);
  const short = nodes
    .filter((n) => n.ready && n.peers < n.expectedPeers)
    .map((n) => `node ${n.ordinal}: ${n.peers}/${n.expectedPeers} peers`);
  const wired = allReady && short.length === 0;

  const tips = nodes.filter((n) => n.ready).map((n) => n.bestBlockHash);
  const unknownTip = nodes.filter((n) => n.ready && n.bestBlockHash === undefined).map((n) => `node ${n.ordinal}: tip unknown`);
  const synced = allReady && unknownTip.length === 0 && new Set(tips).size <= 1;
  const height = Math.max(0, ...nodes.filter((n) => n.ready && n.height !== undefined).map((n) => n.height!));

  const conditions = [
    condition(
      "Ready",
      allReady,
      allReady ? "AllNodesReady" : "NodesNotReady",
      allReady ? `${readyNodes}/${spec.nodes} nodes ready` : `${readyNodes}/${spec.nodes} nodes ready; ${list(notReady)}`,
      inputs,
    ),
    condition(
      "Wired",
      wired,
      wired ? "AllPeersConnected" : !allReady && short.length === 0 ? "NodesNotReady" : "PeersMissing",
      wired ? `${connected.length} of ${edges.length} links connected` : list([...short, ...notReady]),
      inputs,
    ),
    condition(
      "Synced",
      synced,
      synced ? "OneTip" : !allReady ? "NodesNotReady" : unknownTip.length ? "TipUnknown" : "TipsDiffer",
      synced
        ? `${readyNodes} nodes at height ${height}`
        : list([
            ...unknownTip,
            ...(unknownTip.length || !allReady ? [] : nodes.map((n) => `node ${n.ordinal}: height ${n.height ?? "?"}`)),
            ...notReady,
          ]),
      inputs,
    ),
  ];

  const status: NetworkStatus = {
    nodes,
    readyNodes,
    selector: selectorString(inputs.name),
    wired,
    synced,
    height,
    conditions,
    rpcSecretName: inputs.rpcSecretName,
  };
  if (inputs.generation !== undefined) status.observedGeneration = inputs.generation;
  return status;
}

/** How a node looks at a glance: at the network's height, behind it, or not serving (not Ready or not answering RPC). */
export type NodeState = "ready" | "lagging" | "down";

export function nodeState(node: NodeStatus, network: Pick<NetworkStatus, "height">): NodeState {
  if (!node.ready || node.height === undefined) return "down";
  return node.height < network.height ? "lagging" : "ready";
}

/**
 * What keeps `status` from being converged for `spec` — every node Ready, answering, wired to its
 * expected peers, the initial blocks mined, all on one tip; empty when it is. The one definition of
 * "done": converge waits for it, reconcile stops requeueing on it.
 */
export function lacking(spec: BitcoinNetworkSpec, status: NetworkStatus | undefined): string[] {
  if (!status) return ["the network has no StatefulSet yet"];
  const out: string[] = [];
  const byOrdinal = new Map(status.nodes.map((n) => [n.ordinal, n]));
  for (let i = 0; i < spec.nodes; i++) {
    const n = byOrdinal.get(i);
    if (!n) {
      out.push(`node ${i}: no pod yet`);
      continue;
    }
    if (!n.ready) {
      out.push(`node ${i} (pod ${n.pod}): not Ready`);
      continue;
    }
    if (n.peers < n.expectedPeers) out.push(`node ${i} (pod ${n.pod}): ${n.peers}/${n.expectedPeers} peers`);
    if (n.height === undefined) out.push(`node ${i} (pod ${n.pod}): RPC not answering`);
  }
  if (spec.nodes > 0 && status.height < spec.mining.initialBlocks)
    out.push(`chain: height ${status.height} < ${spec.mining.initialBlocks} initial blocks`);
  if (spec.nodes > 0 && !status.synced && status.nodes.every((n) => n.ready)) {
    const tips = status.nodes.filter((n) => n.ready && n.height !== undefined).map((n) => `node ${n.ordinal} at ${n.height}`);
    out.push(`not synced: ${tips.join(", ")}`);
  }
  return out;
}

export const converged = (spec: BitcoinNetworkSpec, status: NetworkStatus | undefined): boolean => lacking(spec, status).length === 0;
