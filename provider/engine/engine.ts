// The engine's facade: the one surface both front doors (Pulumi dynamic provider, controller) use.
// Pure parts (spec, desired objects, topology, wiring plan, status) are called from here; the I/O
// (API server through ../kube, nodes through ../rpc) happens only below this file.
import type * as k8s from "@kubernetes/client-node";
import type { BitcoinNetworkSpec } from "../spec";
import { silentLogger, type Logger } from "../log";
import { RpcClient, type RpcAccess } from "../rpc";
import { KubeObjects, type ObjectCaches, type ObjectReader } from "../kube";
import { CachedReader } from "../kube/cached-reader";
import type { EngineContext } from "./context";
import { reconcile } from "./reconcile";
import { inspect, observe } from "./observe";
import { callNode, listNetworks, mineOn } from "./nodes";
import { converge } from "./converge";
import { destroy } from "./destroy";
import type { ConvergeOptions, DestroyOptions, NetworkRef, NetworkStatus, NetworkView, ReconcileResult } from "./types";

export interface EngineOptions {
  kubeConfig: k8s.KubeConfig;
  /** How to reach node RPC: pod IP ("direct"), API-server port-forward, or "auto" (probe, fall back). */
  rpcAccess?: RpcAccess;
  logger?: Logger;
  /** Per RPC request timeout (default 10 s). */
  rpcTimeoutMs?: number;
  /** Informer caches to read the objects networks own from (the controller's); default: the API server. */
  caches?: ObjectCaches;
}

export interface Engine {
  /** One level-based pass: observe, create/update what differs, wire peers, bootstrap, report. */
  reconcile(ref: NetworkRef, spec: BitcoinNetworkSpec, opts?: { generation?: number }): Promise<ReconcileResult>;
  /** Read-only: no API writes and no write RPCs. `undefined` when the network has no StatefulSet. */
  observe(ref: NetworkRef): Promise<NetworkStatus | undefined>;
  /** Read-only, like observe, with the recorded spec and every link the topology wants (connected or not). */
  inspect(ref: NetworkRef): Promise<NetworkView | undefined>;
  /** The networks regnet made in `namespace` (every namespace when undefined), sorted by namespace and name. */
  list(namespace?: string): Promise<NetworkRef[]>;
  /** Any RPC to node `ordinal`; throws NetworkNotFoundError, NodeUnavailableError or RpcError (method, node, code). */
  call(ref: NetworkRef, ordinal: number, method: string, params: unknown[]): Promise<unknown>;
  /** Mines `blocks` blocks on node `ordinal`; their hashes, oldest first. */
  mine(ref: NetworkRef, ordinal: number, blocks: number): Promise<{ pod: string; hashes: string[] }>;
  /** Reconcile until ready + wired + bootstrapped + synced; the timeout error names each node and what it lacks. */
  converge(ref: NetworkRef, spec: BitcoinNetworkSpec, opts: ConvergeOptions): Promise<NetworkStatus>;
  /** Delete what the network owns (by its labels) and, with `wait`, wait until its pods are gone. */
  destroy(ref: NetworkRef, opts: DestroyOptions): Promise<void>;
  /** RPC calls made so far by this engine (addnode/generate/disconnect are writes). */
  rpcCounters(): { reads: number; writes: number };
  /** API writes (create/apply/patch/delete) made so far by this engine: zero on a no-op reconcile. */
  apiWrites(): number;
  /** API reads (get/list) made so far by this engine; reading from caches, only names they lack. */
  apiReads(): number;
  /** Releases port-forwards and HTTP agents (they never keep the process alive on their own). */
  close(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const logger = options.logger ?? silentLogger;
  const rpc = new RpcClient({
    kubeConfig: options.kubeConfig,
    access: options.rpcAccess ?? "auto",
    logger,
    timeoutMs: options.rpcTimeoutMs,
  });
  const kube = new KubeObjects(options.kubeConfig);
  let read: ObjectReader = kube;
  if (options.caches) {
    const cached = new CachedReader(options.caches, kube);
    kube.onWrite = (...write) => cached.wrote(...write);
    read = cached;
  }
  const ctx: EngineContext = {
    kube,
    read,
    rpc,
    logger,
    recentAdds: new Map(),
    lastConditions: new Map(),
    versions: new Map(),
    lagging: new Map(),
    podUids: new Map(),
  };
  const pass = (ref: NetworkRef, spec: BitcoinNetworkSpec, opts?: { generation?: number }) => reconcile(ctx, ref, spec, opts);
  return {
    reconcile: pass,
    observe: (ref) => observe(ctx, ref),
    inspect: (ref) => inspect(ctx, ref),
    list: (namespace) => listNetworks(ctx, namespace),
    call: (ref, ordinal, method, params) => callNode(ctx, ref, ordinal, method, params),
    mine: (ref, ordinal, blocks) => mineOn(ctx, ref, ordinal, blocks),
    converge: (ref, spec, opts) => converge(pass, ref, spec, opts),
    destroy: (ref, opts) => destroy(ctx, ref, opts),
    rpcCounters: () => ({ ...rpc.counters }),
    apiWrites: () => ctx.kube.writes,
    apiReads: () => ctx.kube.reads,
    close: () => rpc.close(),
  };
}
