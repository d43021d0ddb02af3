// The engine's one shape for a node, read once per pass (./observe.ts) and handed to every pure step
// (status, the wiring plan, bootstrap, sync): its pod as observed and, when it answered RPC, what it
// reported. The published shape (CRD status, Pulumi outputs) is NodeStatus (./types.ts).
import { P2P_PORT } from "../spec/constants";
import type { AddedPeer, ChainTip, ConnectedPeer } from "../rpc";

export interface NodeView {
  ordinal: number;
  pod: string;
  /** Pod UID: a re-created pod with the same name is another node. */
  uid: string;
  /** Pod IP; absent before the pod has one. */
  ip?: string;
  /** The pod is Ready and has an IP (a pod being deleted is not). */
  ready: boolean;
  /** What the node reported this pass: absent while it is not ready, or when it did not answer (`error` says why). */
  rpc?: { added: AddedPeer[]; peers: ConnectedPeer[]; tip: ChainTip; version: string };
  error?: string;
}

/** A ready node that answered this pass: what it reported is known. */
export type AnsweredNode = NodeView & { ip: string; rpc: NonNullable<NodeView["rpc"]> };

export function answered(n: NodeView | undefined): n is AnsweredNode {
  return !!(n?.ready && n.ip && n.rpc);
}

/** `ip:port` of a node's P2P listener, with brackets for IPv6: how peers dial it (addnode). */
export function peerAddress(ip: string, port = P2P_PORT): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The host part of `ip:port` / `[v6]:port`, as getpeerinfo reports a peer. */
export const hostOf = (addr: string) => addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "");

/** An address in one form for comparing: nodes may list one with other case or white space. */
export const canonAddress = (address: string) => address.trim().toLowerCase();

/** IPs of the peers a node is connected to now, inbound or outbound. */
export const peerIps = (n: NodeView): string[] => n.rpc?.peers.map((p) => hostOf(p.addr)) ?? [];
