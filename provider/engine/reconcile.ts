// One level-based reconcile pass, in order:
//   1. API objects (./apply): ownership check, Secret once, Service, StatefulSet, replicas;
//   2. observe pods and, for the Ready ones, what each node reports over RPC (./observe);
//   3. wire peers over the Ready nodes (./wire): add what is missing, remove what is gone, seed
//      catching-up nodes from the tip;
//   4. bootstrap the chain once, when the whole network is wired (./bootstrap);
//   5. status (pure); the nodes are read again only after a step that wrote to them.
// Nothing is written that already is as desired: a pass over a settled network makes no API write
// and no write RPC.
import type { BitcoinNetworkSpec } from "../spec";
import type { RpcCredentials } from "../rpc";
import type { RpcCredentialSet } from "./credentials";
import { ordinalOf, rpcSecretName } from "./desired";
import { applyObjects } from "./apply";
import { readNodes, readPods, type NodeView } from "./observe";
import { nudgeLagging, wire } from "./wire";
import { bootstrap } from "./bootstrap";
import { desiredEdges } from "./topology";
import { computeStatus, type NodeFacts } from "./status";
import type { EngineContext } from "./context";
import type { Change, NetworkRef, NetworkStatus } from "./types";
import type { ReconcileResult } from "./engine";

/** How soon to look again while the network is still coming together. */
const REQUEUE_MS = 2000;

export function rpcCredentials(c: RpcCredentialSet): RpcCredentials {
  return { user: c.user, password: c.password, certPem: c.tlsCert };
}

/** The host part of `ip:port` / `[v6]:port`. */
const hostOf = (addr: string) => addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "");

export function statusOf(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  nodes: NodeView[],
  generation: number | undefined,
): NetworkStatus {
  const facts = new Map<number, NodeFacts>();
  for (const n of nodes) {
    if (!n.rpc) continue;
    facts.set(n.ordinal, {
      height: n.rpc.tip.height,
      bestBlockHash: n.rpc.tip.bestBlockHash,
      version: n.rpc.version,
      added: n.rpc.added,
      peerIps: n.rpc.peers.map((p) => hostOf(p.addr)),
    });
  }
  const key = `${ref.namespace}/${ref.name}`;
  const status = computeStatus({
    name: ref.name,
    spec,
    pods: nodes.map((n) => ({ ordinal: n.ordinal, name: n.pod, ip: n.ip, ready: n.ready })),
    facts,
    rpcSecretName: rpcSecretName(ref, spec),
    generation,
    previous: ctx.lastConditions.get(key),
    now: new Date(),
  });
  ctx.lastConditions.set(key, status.conditions);
  return status;
}

export function settled(spec: BitcoinNetworkSpec, s: NetworkStatus): boolean {
  return (
    s.readyNodes === spec.nodes &&
    s.nodes.every((n) => n.height !== undefined) &&
    s.wired &&
    (spec.nodes === 0 || (s.synced && s.height >= spec.mining.initialBlocks))
  );
}

/** Drops the per-pod memory (versions, lag) of this network's pods that no longer exist. */
function forgetGone(ctx: EngineContext, ref: NetworkRef, pods: { uid: string }[]) {
  const live = new Set(pods.map((p) => p.uid));
  const mine = ctx.podUids.get(`${ref.namespace}/${ref.name}`) ?? new Set<string>();
  for (const uid of mine) {
    if (live.has(uid)) continue;
    ctx.versions.delete(uid);
    ctx.lagging.delete(uid);
  }
  ctx.podUids.set(`${ref.namespace}/${ref.name}`, live);
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
  const live = new Set(pods.map((p) => p.pod));
  await ctx.rpc.prune(ref.namespace, (pod) => ordinalOf(ref.name, pod) !== undefined && !live.has(pod));
  forgetGone(ctx, ref, pods);
  // Pods beyond spec.nodes are on their way out: neither asked nor wired to.
  const inSpec = (p: { ordinal: number }) => p.ordinal < spec.nodes;
  let nodes = await readNodes(ctx, ref, spec.implementation, creds, pods.filter(inSpec));

  const rpcErrors = nodes.filter((n) => n.error).map((n) => n.error!);
  // Read the nodes again after a pass that wrote to them, so what follows sees the result.
  const wrote = (from: number) => changes.slice(from).some((c) => c.action === "wire" || c.action === "unwire" || c.action === "mine");
  const reread = async (from: number) => {
    if (wrote(from)) nodes = await readNodes(ctx, ref, spec.implementation, creds, pods.filter(inSpec));
  };
  let mark = changes.length;
  const wireErrors = await wire(ctx, ref, spec.implementation, creds, desiredEdges(spec.topology, spec.nodes), nodes, changes);
  await reread(mark);
  mark = changes.length;
  const wired = statusOf(ctx, ref, spec, nodes, opts.generation).wired;
  const boot = await bootstrap(ctx, ref, spec, creds, nodes, wired, changes).catch((err: unknown) => {
    rpcErrors.push(err instanceof Error ? err.message : String(err));
    return "waiting" as const;
  });
  const nudgeErrors = boot === "done" ? await nudgeLagging(ctx, ref, spec.implementation, creds, nodes, changes) : [];
  await reread(mark);
  const status = statusOf(ctx, ref, spec, nodes, opts.generation);

  const errors = [...rpcErrors, ...wireErrors, ...nudgeErrors];
  for (const e of errors) ctx.logger.warn({ network: ref.name, namespace: ref.namespace, err: e }, "node RPC failed; will retry");
  const log = { network: ref.name, namespace: ref.namespace, ms: Date.now() - started, boot };
  if (changes.length) ctx.logger.info({ ...log, changes: changes.map((c) => `${c.action} ${c.kind} ${c.name}: ${c.detail}`) }, "reconciled");
  else ctx.logger.debug(log, "reconciled: no change");
  const done = settled(spec, status) && errors.length === 0;
  return { status, changes, requeueAfterMs: done ? undefined : REQUEUE_MS };
}
