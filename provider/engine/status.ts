// Status, computed from what was observed: pods (ordinal, IP, readiness) and, for ready nodes,
// facts read over RPC (tip, version, added peers). Pure, so the controller's status, Pulumi outputs
// and `converge`'s progress all say the same thing.
import type { BitcoinNetworkSpec } from "../spec";
import { P2P_PORT, podName } from "./desired/common";
import { selectorString } from "./labels";
import { type Edge, desiredEdges, edgesAmong, expectedPeers } from "./topology";
import type { Condition, NetworkStatus, NodeStatus } from "./types";
import { peerAddress } from "./wiring";

export interface ObservedPod {
  ordinal: number;
  name: string;
  ip?: string;
  ready: boolean;
}

/** What a ready node told regnet over RPC; any part may be missing if the call failed. */
export interface NodeFacts {
  height?: number;
  bestBlockHash?: string;
  version?: string;
  /** The node's added peers and whether each is connected now. */
  added?: readonly { address: string; connected: boolean }[];
  /** IPs of the peers connected now, inbound or outbound (getpeerinfo), if read. */
  peerIps?: readonly string[];
}

export interface StatusInputs {
  name: string;
  spec: Pick<BitcoinNetworkSpec, "nodes" | "topology">;
  pods: readonly ObservedPod[];
  facts: ReadonlyMap<number, NodeFacts>;
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

function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  inputs: Pick<StatusInputs, "generation" | "previous" | "now">,
): Condition {
  const status = ok ? "True" : "False";
  const before = inputs.previous?.find((c) => c.type === type);
  const c: Condition = {
    type,
    status,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : inputs.now.toISOString(),
    reason,
    message,
  };
  if (inputs.generation !== undefined) c.observedGeneration = inputs.generation;
  return c;
}

/**
 * True when the edge is connected: the lower end lists the higher as an added, connected peer, or
 * either end sees the other's IP among its connected peers.
 */
function edgeConnected([a, b]: Edge, ips: Map<number, string>, facts: ReadonlyMap<number, NodeFacts>, port: number): boolean {
  const ipA = ips.get(a);
  const ipB = ips.get(b);
  if (!ipA || !ipB) return false;
  const want = peerAddress(ipB, port).toLowerCase();
  if ((facts.get(a)?.added ?? []).some((p) => p.connected && p.address.trim().toLowerCase() === want)) return true;
  return !!(facts.get(a)?.peerIps?.includes(ipB) || facts.get(b)?.peerIps?.includes(ipA));
}

export function computeStatus(inputs: StatusInputs): NetworkStatus {
  const { spec, facts } = inputs;
  const port = inputs.p2pPort ?? P2P_PORT;
  const podByOrdinal = new Map(inputs.pods.filter((p) => p.ordinal < spec.nodes).map((p) => [p.ordinal, p]));
  const readyOrdinals = [...podByOrdinal.values()].filter((p) => p.ready && p.ip).map((p) => p.ordinal);
  const ips = new Map([...podByOrdinal.values()].filter((p) => p.ip).map((p) => [p.ordinal, p.ip!]));
  const edges = edgesAmong(desiredEdges(spec.topology, spec.nodes), readyOrdinals);
  const connected = edges.filter((e) => edgeConnected(e, ips, facts, port));

  const nodes: NodeStatus[] = [];
  for (let ordinal = 0; ordinal < spec.nodes; ordinal++) {
    const pod = podByOrdinal.get(ordinal);
    const ready = !!(pod?.ready && pod.ip);
    const node: NodeStatus = {
      ordinal,
      pod: pod?.name ?? podName(inputs.name, ordinal),
      ready,
      peers: ready ? expectedPeers(connected, ordinal).length : 0,
      expectedPeers: expectedPeers(edges, ordinal).length,
    };
    if (pod?.ip) node.ip = pod.ip;
    const f = ready ? facts.get(ordinal) : undefined;
    if (f?.height !== undefined) node.height = f.height;
    if (f?.bestBlockHash !== undefined) node.bestBlockHash = f.bestBlockHash;
    if (f?.version !== undefined) node.version = f.version;
    nodes.push(node);
  }

  const readyNodes = nodes.filter((n) => n.ready).length;
  const allReady = readyNodes === spec.nodes;
  const notReady = nodes
    .filter((n) => !n.ready)
    .map((n) => `node ${n.ordinal}: ${!podByOrdinal.has(n.ordinal) ? "no pod yet" : !n.ip ? "pod has no IP yet" : "not ready"}`);
  const short = nodes.filter((n) => n.ready && n.peers < n.expectedPeers).map((n) => `node ${n.ordinal}: ${n.peers}/${n.expectedPeers} peers`);
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
