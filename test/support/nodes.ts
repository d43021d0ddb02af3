// NodeView fixtures for the engine's pure steps (status, wiring plan, bootstrap): a pod at a fixed
// IP and, when it answered, what it reported.
import { peerAddress, type NodeView } from "../../provider/engine/node";

export const nodeIp = (ordinal: number) => `10.244.0.${10 + ordinal}`;

export interface NodeSketch {
  /** Default `net-<ordinal>`. */
  pod?: string;
  /** Default nodeIp(ordinal); null: the pod has no IP yet. */
  ip?: string | null;
  /** The pod is Ready (default true; never without an IP). */
  ready?: boolean;
  /** It answered RPC this pass (default: when ready). */
  answered?: boolean;
  /** Addresses it has added (connected, unless also in `unconnected`). */
  added?: string[];
  unconnected?: string[];
  /** IPs of the peers connected now. */
  peerIps?: string[];
  height?: number;
  hash?: string;
  ibd?: boolean;
  version?: string;
}

export function nodeView(ordinal: number, s: NodeSketch = {}): NodeView {
  const ip = s.ip === null ? undefined : (s.ip ?? nodeIp(ordinal));
  const ready = (s.ready ?? true) && ip !== undefined;
  const n: NodeView = { ordinal, pod: s.pod ?? `net-${ordinal}`, uid: `uid-${ordinal}`, ip, ready };
  if (ready && (s.answered ?? true)) {
    n.rpc = {
      added: (s.added ?? []).map((address) => ({ address, connected: !(s.unconnected ?? []).includes(address) })),
      peers: (s.peerIps ?? []).map((p) => ({ addr: peerAddress(p, 50000), inbound: true })),
      tip: { chain: "regtest", height: s.height ?? 0, bestBlockHash: s.hash ?? "", ...(s.ibd === undefined ? {} : { ibd: s.ibd }) },
      version: s.version ?? "",
    };
  }
  return n;
}
