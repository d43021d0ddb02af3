// The two node dialects regnet speaks. Everything that differs between Bitcoin Core and btcd
// (ports, TLS, JSON-RPC version, method names, error codes, result shapes) lives here, so the
// engine asks for "added peers" or "mine n blocks" and never for a method name.
import { RPC_PORTS, type Implementation } from "../spec/constants";
import { RpcError } from "./errors";

/** An address a node was told to dial with `addnode`, and whether it is connected now. */
export interface AddedPeer {
  address: string;
  connected: boolean;
}

export interface ChainTip {
  chain: string;
  height: number;
  bestBlockHash: string;
  /** In initial block download (Core reports it; btcd does not). */
  ibd?: boolean;
}

export interface ConnectedPeer {
  addr: string;
  inbound: boolean;
}

/** What a reconcile reads from a node, in one round trip. */
interface NodeSnapshot {
  added: AddedPeer[];
  peers: ConnectedPeer[];
  tip: ChainTip;
  version?: string;
}

/** One JSON-RPC call; the client behind it handles transport, retries, counting and scrubbing. */
export type Call = <T = unknown>(method: string, params: unknown[]) => Promise<T>;
/** Several calls in one HTTP request (JSON-RPC batch); each entry is a result or its RpcError
 * (`unknown[]`, as a result may be anything; tell them apart with `instanceof RpcError`). */
export type Batch = (calls: { method: string; params: unknown[] }[]) => Promise<unknown[]>;

/** What the engine needs from a node, whatever its implementation. */
export interface NodeOps {
  addedPeers(): Promise<AddedPeer[]>;
  /** Connect to `address` now and keep it as an added peer; "already added" counts as success. */
  addPeer(address: string): Promise<void>;
  /** One connection attempt now (`addnode onetry`), outside the node's own added-peer dialling. */
  connectOnce(address: string): Promise<void>;
  /** Forget an added peer and drop the connection to it; "not added" counts as success. */
  removePeer(address: string): Promise<void>;
  /**
   * Makes the peers removed so far stay removed, where the node alone would dial them again: says
   * what it did, or undefined when nothing was needed (Core: `addnode remove` already sticks).
   */
  forgetRemoved(): Promise<string | undefined>;
  /**
   * Gets a node that is stuck behind `tipHeight` syncing again from `leader` (an address at the
   * tip): drops a sync peer that is itself behind (`behindPeers`: the `addr`s, as getpeerinfo shows
   * them, of connected peers whose nodes are behind), then connects once to the leader. Returns what
   * it did (for the change log) and the added peer it dropped, if any (the node redials it on its own).
   */
  unstick(leader: string, tipHeight: number, behindPeers: readonly string[]): Promise<{ detail: string; droppedAdded?: string }>;
  /** Mines `blocks` blocks on this node; returns their hashes, oldest first. */
  mine(blocks: number, address: string): Promise<string[]>;
  tip(): Promise<ChainTip>;
  /** The node's version, e.g. `/Satoshi:30.2.0/` or `btcd 0.26.2`. */
  version(): Promise<string>;
  /** Connected peers, both directions (`addr` is `ip:port`; an inbound peer's port is ephemeral). */
  peers(): Promise<ConnectedPeer[]>;
  /** Added peers, connected peers, tip (and version if asked) in one batch; the first error throws. */
  snapshot(opts: { version: boolean }): Promise<NodeSnapshot>;
}

/** A read: the call to make and how to read its result. */
interface Read<T> {
  method: string;
  params: unknown[];
  parse(result: unknown): T;
}

interface Reads {
  addedPeers: Read<AddedPeer[]>;
  peers: Read<ConnectedPeer[]>;
  tip: Read<ChainTip>;
  version: Read<string>;
}

export interface Dialect {
  implementation: Implementation;
  rpcPort: number;
  tls: boolean;
  /** The JSON-RPC `jsonrpc` member: Core ≥ 28 answers 2.0 with HTTP 200 and one of result/error. */
  jsonrpc: "2.0" | "1.0";
  /** Methods that change a node; counted as writes. */
  isWrite(method: string): boolean;
  ops(call: Call, batch: Batch): NodeOps;
}

const tolerate = async (p: Promise<unknown>, ok: (e: RpcError) => boolean): Promise<void> => {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RpcError && ok(e))) throw e;
  }
};

const WRITES = new Set(["addnode", "disconnectnode", "generatetoaddress", "generate", "node", "stop"]);

const peersRead: Read<ConnectedPeer[]> = {
  method: "getpeerinfo",
  params: [],
  parse: (r) => ((r as { addr: string; inbound: boolean }[] | null) ?? []).map((p) => ({ addr: p.addr, inbound: p.inbound })),
};
const tipRead: Read<ChainTip> = {
  method: "getblockchaininfo",
  params: [],
  parse: (r) => {
    const i = r as { chain: string; blocks: number; bestblockhash: string; initialblockdownload?: boolean };
    const tip: ChainTip = { chain: i.chain, height: i.blocks, bestBlockHash: i.bestblockhash };
    if (typeof i.initialblockdownload === "boolean") tip.ibd = i.initialblockdownload;
    return tip;
  },
};
const addedRead = (params: unknown[]): Read<AddedPeer[]> => ({
  method: "getaddednodeinfo",
  params,
  parse: (r) =>
    ((r as { addednode: string; connected: boolean }[] | null) ?? []).map((p) => ({ address: p.addednode, connected: p.connected })),
});

/** The operations common to both dialects, over their read table. */
function readOps(reads: Reads, call: Call, batch: Batch) {
  const one = async <T>(r: Read<T>) => r.parse(await call(r.method, r.params));
  return {
    addedPeers: () => one(reads.addedPeers),
    peers: () => one(reads.peers),
    tip: () => one(reads.tip),
    version: () => one(reads.version),
    async snapshot(opts: { version: boolean }): Promise<NodeSnapshot> {
      const list: Read<unknown>[] = [reads.addedPeers, reads.peers, reads.tip, ...(opts.version ? [reads.version] : [])];
      const out = await batch(list.map((r) => ({ method: r.method, params: r.params })));
      const failed = out.find((o) => o instanceof RpcError);
      if (failed) throw failed;
      const [added, peers, tip, version] = list.map((r, i) => r.parse(out[i]));
      return {
        added: added as AddedPeer[],
        peers: peers as ConnectedPeer[],
        tip: tip as ChainTip,
        ...(opts.version ? { version: version as string } : {}),
      };
    },
  };
}

const coreReads: Reads = {
  addedPeers: addedRead([]),
  peers: peersRead,
  tip: tipRead,
  version: { method: "getnetworkinfo", params: [], parse: (r) => (r as { subversion: string }).subversion },
};

const core: Dialect = {
  implementation: "bitcoin-core",
  rpcPort: RPC_PORTS["bitcoin-core"],
  tls: false,
  jsonrpc: "2.0",
  isWrite: (m) => WRITES.has(m),
  ops: (call, batch) => ({
    ...readOps(coreReads, call, batch),
    // `add` alone only queues the address for a thread that dials at most 8 added peers and sleeps
    // about a minute between rounds; `onetry` connects now and outside those 8 slots. The `add` then
    // finds it connected. -23: "Node already added".
    async addPeer(address) {
      await call("addnode", [address, "onetry"]);
      await tolerate(call("addnode", [address, "add"]), (e) => e.code === -23);
    },
    connectOnce: async (address) => void (await call("addnode", [address, "onetry"])),
    // In initial block download Core syncs headers from one peer and asks no other while that one is
    // connected, however long it has nothing to give: a new connection alone does not help. Dropping
    // the peers that are behind (the stalled sync peer is one of them) makes it choose again, among
    // peers at the tip. -29: already gone.
    async unstick(leader, _tipHeight, behindPeers) {
      for (const addr of behindPeers) await tolerate(call("disconnectnode", [addr]), (e) => e.code === -29);
      await call("addnode", [leader, "onetry"]);
      const dropped = behindPeers.length ? `dropped peers behind the tip ${behindPeers.join(", ")}, ` : "";
      return { detail: `${dropped}one-shot connection to ${leader}` };
    },
    async removePeer(address) {
      // -24: "Node could not be removed. It has not been added previously." remove does not
      // disconnect in Core, so disconnect too; -29: "Node not found in connected nodes".
      await tolerate(call("addnode", [address, "remove"]), (e) => e.code === -24);
      await tolerate(call("disconnectnode", [address]), (e) => e.code === -29);
    },
    forgetRemoved: async () => undefined,
    mine: async (blocks, address) => (await call<string[] | null>("generatetoaddress", [blocks, address])) ?? [],
  }),
};

const btcdReads: Reads = {
  // btcd needs the `dns` flag and lists only connected persistent peers.
  addedPeers: addedRead([true]),
  peers: peersRead,
  tip: tipRead,
  // No getnetworkinfo in btcd; getinfo carries its version as a number (e.g. 260200).
  version: {
    method: "getinfo",
    params: [],
    parse: (r) => {
      const v = (r as { version: number }).version;
      return `btcd ${Math.floor(v / 1_000_000)}.${Math.floor(v / 10_000) % 100}.${Math.floor(v / 100) % 100}`;
    },
  },
};

const btcd: Dialect = {
  implementation: "btcd",
  rpcPort: RPC_PORTS.btcd,
  tls: true,
  // btcd answers 1.0 requests (with an id; without one it sends nothing back).
  jsonrpc: "1.0",
  isWrite: (m) => WRITES.has(m),
  ops: (call, batch) => ({
    ...readOps(btcdReads, call, batch),
    // btcd reports "already connected" / "peer not found" as -8 with Go error text.
    addPeer: (address) => tolerate(call("addnode", [address, "add"]), (e) => e.code === -8 && /already/i.test(e.message)),
    // "peer exists as a permanent peer": connected through its added entry already.
    connectOnce: (address) => tolerate(call("addnode", [address, "onetry"]), (e) => e.code === -8 && /exists/i.test(e.message)),
    // btcd syncs from one peer at a time, chosen when peers connect; a sync peer that was itself
    // mid-sync then (its advertised height below the tip) can stall the node for ~90 s before btcd
    // gives up on it. Dropping it makes btcd choose again among the peers it has.
    async unstick(leader, tipHeight) {
      const info =
        (await call<{ addr: string; inbound: boolean; syncnode?: boolean; currentheight?: number; startingheight?: number }[] | null>(
          "getpeerinfo",
          [],
        )) ?? [];
      const sync = info.find((p) => p.syncnode);
      const done: string[] = [];
      let droppedAdded: string | undefined;
      if (sync && (sync.currentheight ?? sync.startingheight ?? 0) < tipHeight) {
        // An added (persistent) peer is dropped with `addnode remove` (btcd redials it, and the
        // wiring re-adds it anyway); any other with `node disconnect`.
        const dropped = await call("addnode", [sync.addr, "remove"]).then(
          () => true,
          (e: unknown) => {
            if (e instanceof RpcError && e.code === -8) return false;
            throw e;
          },
        );
        if (dropped) droppedAdded = sync.addr;
        else await tolerate(call("node", ["disconnect", sync.addr]), (e) => e.code === -8);
        done.push(`dropped stalled sync peer ${sync.addr} (at ${sync.currentheight ?? sync.startingheight})`);
      }
      // "peer exists as a permanent peer": the leader is already an added peer; fine.
      await tolerate(call("addnode", [leader, "onetry"]), (e) => e.code === -8 && /exists/i.test(e.message));
      done.push(`one-shot connection to ${leader}`);
      return { detail: done.join(", "), droppedAdded };
    },
    async removePeer(address) {
      // btcd's `addnode remove` drops the peer and its connection in one call, but (v0.26.2) not
      // the connection manager's permanent request, which redials after ~5 s: see forgetRemoved.
      await tolerate(call("addnode", [address, "remove"]), (e) => e.code === -8 && /not found/i.test(e.message));
    },
    // No btcd RPC cancels a permanent connection request (server.go handleDonePeerMsg retries it),
    // so a node that must forget a live peer stops: its pod restarts the container, with its data
    // and address, and a connection manager holding only what is added again.
    async forgetRemoved() {
      await call("stop", []);
      return "stopped so that its container restarts without btcd's pending redials (data and address kept)";
    },
    // btcd has no generatetoaddress: `generate` pays the node's --miningaddr.
    mine: async (blocks) => (await call<string[] | null>("generate", [blocks])) ?? [],
  }),
};

export function dialectFor(implementation: Implementation): Dialect {
  return implementation === "btcd" ? btcd : core;
}
