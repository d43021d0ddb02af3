// The wiring plan: which `addnode add` / `remove` calls bring the nodes' added-peer lists to what the
// topology wants. Pure: the I/O half reads each ready node's added peers, calls planWiring, and
// applies the plan (provider/engine/wire.ts). Each edge is dialled by its lower ordinal, to the
// higher one's `ip:18444`, so every edge is one addnode on one node.
import { P2P_PORT } from "./desired/common";
import { type Edge, expectedPeers } from "./topology";

export interface WiringNode {
  ordinal: number;
  /** Pod IP; undefined while the pod has none. */
  ip?: string;
  /** Ready nodes answer RPC; only they are dialled, and only their lists are changed. */
  ready: boolean;
  /** Addresses this node has `addnode`ed (as read from it). Ignored for nodes that are not ready. */
  added: readonly string[];
}

export interface NodeWiring {
  ordinal: number;
  add: string[];
  remove: string[];
}

/** `ip:port`, with brackets for IPv6. */
export function peerAddress(ip: string, port = P2P_PORT): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const canon = (address: string) => address.trim().toLowerCase();

/**
 * Per ready node, the peers to add (desired edges to higher ordinals that are ready) and to remove
 * (added addresses no edge wants: a departed node after a scale-down, a pod's old IP). An edge to a
 * node that is present but not ready yet is neither added nor removed, so a restarting peer keeps
 * its entry. Nodes with nothing to do are left out: a settled network gives an empty plan.
 */
export function planWiring(edges: readonly Edge[], nodes: readonly WiringNode[], port = P2P_PORT): NodeWiring[] {
  const byOrdinal = new Map(nodes.map((n) => [n.ordinal, n]));
  const plan: NodeWiring[] = [];
  for (const node of [...nodes].sort((a, b) => a.ordinal - b.ordinal)) {
    if (!node.ready || !node.ip) continue;
    const keep = new Set<string>();
    const want: string[] = [];
    for (const peer of expectedPeers(edges, node.ordinal)) {
      if (peer < node.ordinal) continue; // the lower ordinal of an edge dials
      const other = byOrdinal.get(peer);
      if (!other?.ip) continue;
      const address = peerAddress(other.ip, port);
      keep.add(canon(address));
      if (other.ready) want.push(address);
    }
    const added = new Set(node.added.map(canon));
    const add = want.filter((a) => !added.has(canon(a)));
    const remove = node.added.filter((a) => !keep.has(canon(a)));
    if (add.length || remove.length) plan.push({ ordinal: node.ordinal, add, remove: [...new Set(remove)] });
  }
  return plan;
}
