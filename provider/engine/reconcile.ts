// One level-based reconcile pass, in order:
//   1. API objects (./apply): ownership check, Secret once, Service, StatefulSet, replicas;
//   2. observe pods and, for the Ready ones, what each node reports over RPC (./observe);
//   3. wire peers over the Ready nodes (./wire): add what is missing, remove what is gone;
//   4. bootstrap the chain once (./bootstrap);
//   5. status (pure), read again only if this pass wrote to a node.
// Nothing is written that already is as desired: a pass over a settled network makes no API write
// and no write RPC.
import type { BitcoinNetworkSpec } from "../spec";
import type { RpcCredentials } from "../rpc";
import type { RpcCredentialSet } from "./credentials";
import { rpcSecretName } from "./desired";
import { selectorString } from "./labels";
import { applyObjects } from "./apply";
import { readNodes, readPods, type NodeView } from "./observe";
import { connectedExpected, wire } from "./wire";
import { bootstrap } from "./bootstrap";
import { computeStatus, neighbours, plannedDials, topologyEdges } from "./plan";
import type { EngineContext } from "./context";
import type { Change, NetworkRef, NetworkStatus, NodeStatus } from "./types";
import type { ReconcileResult } from "./engine";

/** How soon to look again while the network is still coming together. */
const REQUEUE_MS = 2000;

export function rpcCredentials(c: RpcCredentialSet): RpcCredentials {
  return { user: c.user, password: c.password, certPem: c.tlsCert };
}

/** The ready, in-spec nodes' topology: edges among them. */
function edgesFor(spec: BitcoinNetworkSpec, nodes: NodeView[]) {
  const ordinals = nodes.filter((n) => n.ready && n.ordinal < spec.nodes).map((n) => n.ordinal);
  return topologyEdges(spec.topology, ordinals);
}

export function statusOf(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  nodes: NodeView[],
  generation: number | undefined,
): NetworkStatus {
  const edges = edgesFor(spec, nodes);
  const nodeStatus: NodeStatus[] = nodes.map((n) => {
    const expected = n.ready && n.ordinal < spec.nodes ? neighbours(edges, n.ordinal) : [];
    return {
      ordinal: n.ordinal,
      pod: n.pod,
      ip: n.ip,
      ready: n.ready,
      peers: connectedExpected(n, expected, nodes),
      expectedPeers: expected.length,
      height: n.rpc?.tip.height,
      bestBlockHash: n.rpc?.tip.bestBlockHash,
      version: n.rpc?.version,
    };
  });
  const key = `${ref.namespace}/${ref.name}`;
  const status = computeStatus({
    nodes: nodeStatus,
    desiredNodes: spec.nodes,
    selector: selectorString(ref.name),
    rpcSecretName: rpcSecretName(ref, spec),
    generation,
    previous: ctx.lastConditions.get(key),
  });
  ctx.lastConditions.set(key, status.conditions);
  return status;
}

export function settled(spec: BitcoinNetworkSpec, s: NetworkStatus): boolean {
  const nodes = s.nodes.filter((n) => n.ordinal < spec.nodes);
  return (
    s.readyNodes === spec.nodes &&
    s.nodes.length === spec.nodes &&
    nodes.every((n) => n.height !== undefined) &&
    s.wired &&
    (spec.nodes === 0 || (s.synced && s.height >= spec.mining.initialBlocks))
  );
}

export async function reconcile(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  opts: { generation?: number } = {},
): Promise<ReconcileResult> {
  const started = Date.now();
  const changes: Change[] = [];
  const { credentials } = await applyObjects(ctx, ref, spec, changes);
  const creds = rpcCredentials(credentials);

  const pods = await readPods(ctx, ref);
  await ctx.rpc.prune(ref.namespace, new Set(pods.map((p) => `${ref.namespace}/${p.pod}`)));
  // Pods beyond spec.nodes are on their way out: neither asked nor wired to.
  const inSpec = (p: { ordinal: number }) => p.ordinal < spec.nodes;
  let nodes = await readNodes(ctx, ref, spec.implementation, creds, pods.filter(inSpec));

  const rpcErrors = nodes.filter((n) => n.error).map((n) => n.error!);
  const wireErrors = await wire(ctx, ref, spec.implementation, creds, plannedDials(edgesFor(spec, nodes)), nodes, changes);
  const boot = await bootstrap(ctx, ref, spec, creds, nodes, changes).catch((err: unknown) => {
    rpcErrors.push(err instanceof Error ? err.message : String(err));
    return "waiting" as const;
  });
  if (changes.some((c) => c.action === "wire" || c.action === "unwire" || c.action === "mine")) {
    nodes = await readNodes(ctx, ref, spec.implementation, creds, pods.filter(inSpec));
  }
  const departing = pods.filter((p) => !inSpec(p));
  const status = statusOf(ctx, ref, spec, [...nodes, ...departing], opts.generation);

  const errors = [...rpcErrors, ...wireErrors];
  for (const e of errors) ctx.logger.warn({ network: ref.name, namespace: ref.namespace, err: e }, "node RPC failed; will retry");
  ctx.logger.debug({ network: ref.name, changes: changes.length, ms: Date.now() - started, boot }, "reconciled");
  const done = settled(spec, status) && errors.length === 0;
  return { status, changes, requeueAfterMs: done ? undefined : REQUEUE_MS };
}
