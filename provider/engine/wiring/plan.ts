// The wiring plan: which `addnode` calls bring the nodes' peers to what the topology wants. Pure: the
// I/O half reads each ready node (added peers, connected peers, height), calls planWiring, and applies
// the plan (./apply.ts). Each edge is dialled by its lower ordinal, to the higher one's
// `ip:18444`, so every edge is one addnode on one node.
//
// Catching up is part of the plan, because Bitcoin Core makes it a matter of who connects first: a
// node in initial block download (a fresh regtest node: its genesis is from 2011) syncs headers from
// ONE peer, the first that connects, and if that peer has no blocks either it waits out a 20-30 min
// timeout before it asks another. So while the network has a chain (tip > 0):
//   - an edge between two nodes that are both catching up is not made yet: each syncs first from a
//     node at the tip, and the edge follows once one of them is there;
//   - a catching-up node whose topology gives it no peer at the tip gets a one-shot connection to
//     one (`seed`), dialled by itself, so its first peer has the chain.
// A network with no chain yet (create) is wired whole first and mined after (./bootstrap), so every
// node hears the new blocks announced by a peer it is already connected to.
import { P2P_PORT } from "../../spec/constants";
import { answered, canonAddress, peerAddress, peerIps, type NodeView } from "../node";
import { type Edge, expectedPeers } from "./topology";

export interface NodeWiring {
  ordinal: number;
  /** Edges to make: connect now and keep (addnode). */
  add: string[];
  /** Added addresses no edge wants: forget and disconnect. */
  remove: string[];
  /** Added and wanted but not connected: dial again now (Core's own redial waits up to a minute). */
  redial?: string[];
  /** A one-shot connection to a node at the tip, for a catching-up node with no such peer. */
  seed?: string;
}

/**
 * True when the edge [a, b] is connected: the lower end lists the higher as an added, connected
 * peer, or either end sees the other's IP among its connected peers.
 */
export function edgeConnected([a, b]: Edge, byOrdinal: ReadonlyMap<number, NodeView>, port = P2P_PORT): boolean {
  const [na, nb] = [byOrdinal.get(a), byOrdinal.get(b)];
  if (!na?.ip || !nb?.ip) return false;
  const want = canonAddress(peerAddress(nb.ip, port));
  if ((na.rpc?.added ?? []).some((p) => p.connected && canonAddress(p.address) === want)) return true;
  return peerIps(na).includes(nb.ip) || peerIps(nb).includes(na.ip);
}

/** The highest height among the nodes that answered (0 when none is known). */
function tipHeight(nodes: readonly NodeView[]): number {
  return Math.max(0, ...nodes.filter(answered).map((n) => n.rpc.tip.height));
}

/** Behind a tip that exists, and (where the node says) in initial block download. */
function catchingUp(node: NodeView, tip: number): boolean {
  const t = node.rpc?.tip;
  return tip > 0 && t !== undefined && t.height < tip && t.ibd !== false;
}

/**
 * Per ready node: peers to add (desired edges to higher ordinals that are ready, unless both ends are
 * catching up), to remove (added addresses no edge wants: a departed node after a scale-down, a pod's
 * old IP), to dial again (added, wanted, not connected) and a seed (see above). An edge to a node
 * that is present but not ready yet is neither added nor removed, so a restarting peer keeps its
 * entry. Nodes with nothing to do are left out: a settled network gives an empty plan.
 */
export function planWiring(edges: readonly Edge[], nodes: readonly NodeView[], port = P2P_PORT): NodeWiring[] {
  const byOrdinal = new Map(nodes.map((n) => [n.ordinal, n]));
  const tip = tipHeight(nodes);
  const behind = (n: NodeView) => catchingUp(n, tip);
  const atTip = nodes.filter((n) => answered(n) && n.rpc.tip.height === tip).sort((a, b) => a.ordinal - b.ordinal);
  const plan: NodeWiring[] = [];
  for (const node of [...nodes].sort((a, b) => a.ordinal - b.ordinal)) {
    if (!answered(node)) continue;
    const keep = new Set<string>();
    const want: string[] = [];
    for (const peer of expectedPeers(edges, node.ordinal)) {
      if (peer < node.ordinal) continue; // the lower ordinal of an edge dials
      const other = byOrdinal.get(peer);
      if (!other?.ip) continue;
      const address = peerAddress(other.ip, port);
      keep.add(canonAddress(address));
      if (answered(other) && !(behind(node) && behind(other))) want.push(address);
    }
    const addedList = node.rpc.added.map((a) => a.address);
    const added = new Set(addedList.map(canonAddress));
    // Core lists added peers that are not connected; btcd lists only connected ones.
    const unconnected = new Set(node.rpc.added.filter((a) => !a.connected).map((a) => canonAddress(a.address)));
    const step: NodeWiring = {
      ordinal: node.ordinal,
      add: want.filter((a) => !added.has(canonAddress(a))),
      remove: [...new Set(addedList.filter((a) => !keep.has(canonAddress(a))))],
    };
    const redial = want.filter((a) => added.has(canonAddress(a)) && unconnected.has(canonAddress(a)));
    if (redial.length) step.redial = redial;
    const seed = behind(node) ? seedFor(node, edges, byOrdinal, behind, atTip, port) : undefined;
    if (seed) step.seed = seed;
    if (step.add.length || step.remove.length || step.redial || step.seed) plan.push(step);
  }
  return plan;
}

/** A tip node to seed from, unless the node has (or is getting) a topology peer that is not behind. */
function seedFor(
  node: NodeView,
  edges: readonly Edge[],
  byOrdinal: Map<number, NodeView>,
  behind: (n: NodeView) => boolean,
  atTip: NodeView[],
  port: number,
): string | undefined {
  const hasUpToDatePeer = expectedPeers(edges, node.ordinal).some((o) => {
    const peer = byOrdinal.get(o);
    return answered(peer) && !behind(peer);
  });
  if (hasUpToDatePeer) return undefined;
  const tipIps = new Set(atTip.map((n) => n.ip));
  if (peerIps(node).some((ip) => tipIps.has(ip))) return undefined; // seeded already
  const seed = atTip.find((n) => n.ordinal !== node.ordinal);
  return seed?.ip ? peerAddress(seed.ip, port) : undefined;
}
