// One level-based reconcile pass, in order:
//   1. API objects (./apply): ownership check, Secret once, Service, StatefulSet, replicas;
//   2. observe pods and, for the Ready ones, what each node reports over RPC (./observe);
//   3. wire peers over the Ready nodes (./wiring): add what is missing, remove what is gone, seed
//      catching-up nodes from the tip;
//   4. bootstrap the chain once, when the whole network is wired (./bootstrap);
//   5. status (pure); the nodes are read again only after a step that wrote to them.
// Nothing is written that already is as desired: a pass over a settled network makes no API write
// and no write RPC.
import type { BitcoinNetworkSpec } from "../spec";
import { ordinalOf } from "./desired";
import { applyObjects } from "./apply";
import { readNodes, readPods, statusOf } from "./observe";
import { wire } from "./wiring/apply";
import { nudgeLagging } from "./wiring/sync";
import { desiredEdges } from "./wiring/topology";
import { bootstrap } from "./bootstrap";
import { converged } from "./status";
import type { EngineContext } from "./context";
import type { Change, NetworkRef, ReconcileResult } from "./types";
import { messageOf } from "../errors";

/** How soon to look again while the network is still coming together: new pods turning Ready
 * arrive as watch events, so this is the fallback... */
export const REQUEUE_MS = 2000;
/** ...except after a pass that told nodes to connect, disconnect or mine: what that does shows on
 * the nodes within a second (peers connect, blocks propagate), and the next step (mining once
 * wired, synced once mined) waits on seeing it. Measured (npm run bench): a 20-node btcd network
 * spent ~4 s between its last wiring pass and the mining pass. */
export const REQUEUE_AFTER_NODE_WRITE_MS = 300;

/** When to reconcile again: never once converged, soon after writes to nodes, else the fallback. */
export function requeueAfter(changes: readonly Change[], done: boolean): number | undefined {
  if (done) return undefined;
  return changes.some((c) => c.action === "wire" || c.action === "unwire" || c.action === "mine")
    ? REQUEUE_AFTER_NODE_WRITE_MS
    : REQUEUE_MS;
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
  const creds = credentials;

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
  const wired = statusOf(ctx, ref, spec, nodes, opts.generation, { record: false }).wired;
  const boot = await bootstrap(ctx, ref, spec, creds, nodes, wired, changes).catch((err: unknown) => {
    rpcErrors.push(messageOf(err));
    return "waiting" as const;
  });
  const nudgeErrors = boot === "done" ? await nudgeLagging(ctx, ref, spec.implementation, creds, nodes, changes) : [];
  await reread(mark);
  const status = statusOf(ctx, ref, spec, nodes, opts.generation);

  const errors = [...rpcErrors, ...wireErrors, ...nudgeErrors];
  for (const e of errors) ctx.logger.warn({ network: ref.name, namespace: ref.namespace, err: e }, "node RPC failed; will retry");
  const log = { network: ref.name, namespace: ref.namespace, ms: Date.now() - started, boot };
  if (changes.length)
    ctx.logger.info({ ...log, changes: changes.map((c) => `${c.action} ${c.kind} ${c.name}: ${c.detail}`) }, "reconciled");
  else ctx.logger.debug(log, "reconciled: no change");
  const done = converged(spec, status) && errors.length === 0;
  return { status, changes, requeueAfterMs: requeueAfter(changes, done) };
}
