// LOCAL ADAPTER over the pure core (topology, wiring plan, status) until the pure modules
// (./topology, ./wiring, ./status, owned by a colleague) land; then this file only maps their
// exports to what reconcile needs.
import type { BitcoinNetworkSpec } from "../spec";
import type { Condition, NetworkStatus, NodeStatus } from "./types";

export type Edge = [number, number];
/** Ordinal → ordinals it dials (`addnode add`). One dial per undirected edge: lower → higher. */
export type WiringPlan = Map<number, number[]>;

/** Undirected edges among `ordinals` (the ready nodes), per the spec's topology. */
export function topologyEdges(topology: BitcoinNetworkSpec["topology"], ordinals: number[]): Edge[] {
  const os = [...ordinals].sort((a, b) => a - b);
  const edges: Edge[] = [];
  switch (topology.type) {
    case "mesh":
      for (let i = 0; i < os.length; i++) for (let j = i + 1; j < os.length; j++) edges.push([os[i], os[j]]);
      break;
    case "ring":
      if (os.length === 2) edges.push([os[0], os[1]]);
      else if (os.length > 2) for (let i = 0; i < os.length; i++) edges.push([os[i], os[(i + 1) % os.length]]);
      break;
    case "edges": {
      const present = new Set(os);
      for (const [a, b] of topology.edges ?? []) if (a !== b && present.has(a) && present.has(b)) edges.push([a, b]);
      break;
    }
    default:
      throw new Error(`topology ${topology.type} needs the pure topology module (provider/engine/topology.ts)`);
  }
  return edges.map(([a, b]) => (a < b ? [a, b] : [b, a]) as Edge);
}

export function plannedDials(edges: Edge[]): WiringPlan {
  const plan: WiringPlan = new Map();
  for (const [a, b] of edges) {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    plan.set(lo, [...new Set([...(plan.get(lo) ?? []), hi])]);
  }
  return plan;
}

export function neighbours(edges: Edge[], ordinal: number): number[] {
  return [...new Set(edges.flatMap(([a, b]) => (a === ordinal ? [b] : b === ordinal ? [a] : [])))];
}

function condition(type: string, ok: boolean, reason: string, message: string, previous: Condition[] | undefined, generation?: number): Condition {
  const prev = previous?.find((c) => c.type === type);
  const status = ok ? "True" : "False";
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : new Date().toISOString(),
  };
}

export function computeStatus(input: {
  nodes: NodeStatus[];
  desiredNodes: number;
  selector: string;
  rpcSecretName: string;
  generation?: number;
  previous?: Condition[];
}): NetworkStatus {
  const ready = input.nodes.filter((n) => n.ready);
  const wired = ready.every((n) => n.peers >= n.expectedPeers);
  const tips = new Set(ready.map((n) => n.bestBlockHash));
  const synced = ready.length > 0 && ready.every((n) => n.bestBlockHash !== undefined) && tips.size === 1;
  const height = Math.max(0, ...ready.map((n) => n.height ?? 0));
  const allReady = ready.length === input.desiredNodes;
  return {
    nodes: input.nodes,
    readyNodes: ready.length,
    selector: input.selector,
    wired,
    synced,
    height,
    rpcSecretName: input.rpcSecretName,
    observedGeneration: input.generation,
    conditions: [
      condition("Ready", allReady, allReady ? "AllNodesReady" : "NodesNotReady", `${ready.length}/${input.desiredNodes} nodes ready`, input.previous, input.generation),
      condition("Wired", wired, wired ? "PeersConnected" : "PeersMissing", wired ? "every ready node has its expected peers" : ready.filter((n) => n.peers < n.expectedPeers).map((n) => `node ${n.ordinal}: ${n.peers}/${n.expectedPeers} peers`).join("; "), input.previous, input.generation),
      condition("Synced", synced, synced ? "OneTip" : "TipsDiffer", synced ? `all ready nodes at height ${height}` : `${tips.size} different tips among ${ready.length} ready nodes`, input.previous, input.generation),
    ],
  };
}
