// The two node dialects regnet speaks. Everything that differs between Bitcoin Core and btcd
// (ports, TLS, JSON-RPC version, method names, error codes, result shapes) lives here, so the
// engine asks for "added peers" or "mine n blocks" and never for a method name.
// Facts: ../../../shared/notes/bitcoin-rpc.md (Core) and the btcd section there.
import { RpcError } from "./errors";

export type Implementation = "bitcoin-core" | "btcd";

export const P2P_PORT = 18444;

/** An address a node was told to dial with `addnode`, and whether it is connected now. */
export interface AddedPeer {
  address: string;
  connected: boolean;
}

export interface ChainTip {
  chain: string;
  height: number;
  bestBlockHash: string;
}

/** One JSON-RPC call; the client behind it handles transport, retries, counting and scrubbing. */
export type Call = <T = unknown>(method: string, params: unknown[]) => Promise<T>;

/** What the engine needs from a node, whatever its implementation. */
export interface NodeOps {
  addedPeers(): Promise<AddedPeer[]>;
  /** `addnode add`; "already added" counts as success. */
  addPeer(address: string): Promise<void>;
  /** Forget an added peer and drop the connection to it; "not added" counts as success. */
  removePeer(address: string): Promise<void>;
  mine(blocks: number, address: string): Promise<void>;
  tip(): Promise<ChainTip>;
  /** The node's user agent, e.g. `/Satoshi:30.2.0/` or `btcd 0.26.2` (best effort). */
  version(): Promise<string>;
  /** Number of connected peers (inbound and outbound). */
  connectionCount(): Promise<number>;
  /** Connected peers, both directions (`addr` is `ip:port`; an inbound peer's port is ephemeral). */
  peers(): Promise<ConnectedPeer[]>;
}

export interface ConnectedPeer {
  addr: string;
  inbound: boolean;
}

const connectedPeers = async (call: Call): Promise<ConnectedPeer[]> =>
  ((await call<{ addr: string; inbound: boolean }[] | null>("getpeerinfo", [])) ?? []).map((p) => ({ addr: p.addr, inbound: p.inbound }));

export interface Dialect {
  implementation: Implementation;
  rpcPort: number;
  tls: boolean;
  /** The JSON-RPC `jsonrpc` member: Core ≥ 28 answers 2.0 with HTTP 200 and one of result/error. */
  jsonrpc: "2.0" | "1.0";
  /** Methods that change a node; counted as writes. */
  isWrite(method: string, params: unknown[]): boolean;
  ops(call: Call): NodeOps;
}

const tolerate = async (p: Promise<unknown>, ok: (e: RpcError) => boolean): Promise<void> => {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RpcError && ok(e))) throw e;
  }
};

const WRITES = new Set(["addnode", "disconnectnode", "generatetoaddress", "generate", "node"]);

const core: Dialect = {
  implementation: "bitcoin-core",
  rpcPort: 18443,
  tls: false,
  jsonrpc: "2.0",
  isWrite: (m) => WRITES.has(m),
  ops: (call) => ({
    async addedPeers() {
      const info = await call<{ addednode: string; connected: boolean }[]>("getaddednodeinfo", []);
      return info.map((p) => ({ address: p.addednode, connected: p.connected }));
    },
    // -23: "Node already added".
    addPeer: (address) => tolerate(call("addnode", [address, "add"]), (e) => e.code === -23),
    async removePeer(address) {
      // -24: "Node could not be removed. It has not been added previously." remove does not
      // disconnect in Core, so disconnect too; -29: "Node not found in connected nodes".
      await tolerate(call("addnode", [address, "remove"]), (e) => e.code === -24);
      await tolerate(call("disconnectnode", [address]), (e) => e.code === -29);
    },
    mine: async (blocks, address) => {
      await call("generatetoaddress", [blocks, address]);
    },
    async tip() {
      const i = await call<{ chain: string; blocks: number; bestblockhash: string }>("getblockchaininfo", []);
      return { chain: i.chain, height: i.blocks, bestBlockHash: i.bestblockhash };
    },
    async version() {
      return (await call<{ subversion: string }>("getnetworkinfo", [])).subversion;
    },
    connectionCount: () => call<number>("getconnectioncount", []),
    peers: () => connectedPeers(call),
  }),
};

const btcd: Dialect = {
  implementation: "btcd",
  rpcPort: 18334,
  tls: true,
  // btcd answers 1.0 requests (with an id; without one it sends nothing back).
  jsonrpc: "1.0",
  isWrite: (m) => WRITES.has(m),
  ops: (call) => ({
    async addedPeers() {
      // btcd needs the `dns` flag and lists only connected persistent peers.
      const info = await call<{ addednode: string; connected: boolean }[] | null>("getaddednodeinfo", [true]);
      return (info ?? []).map((p) => ({ address: p.addednode, connected: p.connected }));
    },
    // btcd reports "already connected" / "peer not found" as -8 with Go error text.
    addPeer: (address) => tolerate(call("addnode", [address, "add"]), (e) => e.code === -8 && /already/i.test(e.message)),
    async removePeer(address) {
      // btcd's `addnode remove` drops the peer and its connection in one call, but (v0.26.2) not
      // the connection manager's permanent request, which redials after ~5 s: a removal sticks
      // only for a peer that is gone (departed pod, old pod IP). No btcd RPC cancels the request.
      await tolerate(call("addnode", [address, "remove"]), (e) => e.code === -8 && /not found/i.test(e.message));
    },
    mine: async (blocks) => {
      // btcd has no generatetoaddress: `generate` pays the node's --miningaddr.
      await call("generate", [blocks]);
    },
    async tip() {
      const i = await call<{ chain: string; blocks: number; bestblockhash: string }>("getblockchaininfo", []);
      return { chain: i.chain, height: i.blocks, bestBlockHash: i.bestblockhash };
    },
    async version() {
      // No getnetworkinfo in btcd; getinfo carries its version as a number (e.g. 260200).
      const v = (await call<{ version: number }>("getinfo", [])).version;
      const [maj, min, patch] = [Math.floor(v / 1_000_000), Math.floor(v / 10_000) % 100, Math.floor(v / 100) % 100];
      return `btcd ${maj}.${min}.${patch}`;
    },
    connectionCount: () => call<number>("getconnectioncount", []),
    peers: () => connectedPeers(call),
  }),
};

export function dialectFor(implementation: Implementation): Dialect {
  return implementation === "btcd" ? btcd : core;
}
