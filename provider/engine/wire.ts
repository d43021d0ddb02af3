// Peer wiring, applied: the pure plan (./wiring: each edge dialled by its lower ordinal) over what
// the Ready nodes report, then `addnode add` for what is missing and remove + disconnect for what
// is gone (departed pods after a scale-down, a pod's old IP after a restart). The lists are read
// first, so a wired network costs no write RPC.
import type { RpcCredentials, Implementation } from "../rpc";
import { ADD_GRACE_MS, type EngineContext } from "./context";
import type { NodeView } from "./observe";
import type { Edge } from "./topology";
import { peerAddress, planWiring, type NodeWiring } from "./wiring";
import type { Change, NetworkRef } from "./types";

/** Keyed by pod UID: a re-created pod (same name) starts with an empty list and must be told again. */
const addKey = (uid: string, address: string) => `${uid}→${address}`;

/**
 * The plan over the nodes that answered (a Ready node whose list could not be read is left alone
 * this pass). btcd lists only *connected* added peers, so an address added moments ago that is
 * still dialling is not added again until ADD_GRACE_MS has passed.
 */
export function wiringActions(edges: readonly Edge[], nodes: NodeView[], recentAdds: ReadonlyMap<string, number>, now = Date.now()): NodeWiring[] {
  const plan = planWiring(
    edges,
    nodes.map((n) => ({ ordinal: n.ordinal, ip: n.ip, ready: n.ready && !!n.rpc, added: n.rpc?.added.map((a) => a.address) ?? [] })),
  );
  const uid = new Map(nodes.map((n) => [n.ordinal, n.uid]));
  return plan
    .map((w) => ({ ...w, add: w.add.filter((a) => now - (recentAdds.get(addKey(uid.get(w.ordinal)!, a)) ?? -Infinity) > ADD_GRACE_MS) }))
    .filter((w) => w.add.length || w.remove.length);
}

export async function wire(
  ctx: EngineContext,
  ref: NetworkRef,
  implementation: Implementation,
  creds: RpcCredentials,
  edges: readonly Edge[],
  nodes: NodeView[],
  changes: Change[],
): Promise<string[]> {
  const errors: string[] = [];
  const now = Date.now();
  for (const [k, t] of ctx.recentAdds) if (now - t > ADD_GRACE_MS) ctx.recentAdds.delete(k); // bounded memory
  const byOrdinal = new Map(nodes.map((n) => [n.ordinal, n]));
  const note = (err: unknown) => errors.push(err instanceof Error ? err.message : String(err));
  await Promise.all(
    wiringActions(edges, nodes, ctx.recentAdds).map(async ({ ordinal, add, remove }) => {
      const node = byOrdinal.get(ordinal)!;
      const ops = ctx.rpc.node({ namespace: ref.namespace, pod: node.pod, ip: node.ip!, implementation }, creds);
      for (const a of remove) {
        try {
          await ops.removePeer(a);
          ctx.recentAdds.delete(addKey(node.uid, a));
          changes.push({ kind: "Pod", name: node.pod, action: "unwire", detail: `node ${ordinal} dropped peer ${a}` });
        } catch (err) {
          note(err);
        }
      }
      for (const a of add) {
        try {
          await ops.addPeer(a);
          ctx.recentAdds.set(addKey(node.uid, a), Date.now());
          changes.push({ kind: "Pod", name: node.pod, action: "wire", detail: `node ${ordinal} added peer ${a}` });
        } catch (err) {
          note(err);
        }
      }
    }),
  );
  return errors;
}

/** A Ready node that has stayed behind the best tip this long, without progress, is nudged... */
export const LAG_NUDGE_MS = 5_000;
/** ...and at most this often. */
export const NUDGE_EVERY_MS = 15_000;

/**
 * Catching up a node that is stuck behind the tip with no progress. Seen with btcd (16 wired
 * nodes, one at height 0 for ~90 s while the rest were at 101): it had picked as its sync peer a
 * node that was itself mid-sync at handshake time, which then never served it. The dialect's
 * `unstick` drops such a sync peer and connects once to a node at the tip. Only lagging nodes are
 * touched, so a synced network costs nothing.
 */
export async function nudgeLagging(
  ctx: EngineContext,
  ref: NetworkRef,
  implementation: Implementation,
  creds: RpcCredentials,
  nodes: NodeView[],
  changes: Change[],
  now = Date.now(),
): Promise<string[]> {
  const known = nodes.filter((n) => n.ready && n.ip && n.rpc);
  const best = Math.max(0, ...known.map((n) => n.rpc!.tip.height));
  const leader = known.find((n) => n.rpc!.tip.height === best);
  const errors: string[] = [];
  await Promise.all(
    known.map(async (n) => {
      const height = n.rpc!.tip.height;
      if (height >= best || !leader) {
        ctx.lagging.delete(n.uid);
        return;
      }
      const seen = ctx.lagging.get(n.uid);
      if (!seen || seen.height !== height) {
        ctx.lagging.set(n.uid, { height, since: now, nudged: seen?.nudged });
        return; // behind but moving (or just noticed): give it time
      }
      if (now - seen.since < LAG_NUDGE_MS || (seen.nudged !== undefined && now - seen.nudged < NUDGE_EVERY_MS)) return;
      seen.nudged = now;
      const address = peerAddress(leader.ip!);
      try {
        const did = await ctx.rpc.node({ namespace: ref.namespace, pod: n.pod, ip: n.ip!, implementation }, creds).unstick(address, best);
        // btcd redials a dropped added peer itself: do not add it a second time meanwhile.
        if (did.droppedAdded) ctx.recentAdds.set(addKey(n.uid, did.droppedAdded), now);
        changes.push({ kind: "Pod", name: n.pod, action: "wire", detail: `node ${n.ordinal} stuck at height ${height} < ${best} (node ${leader.ordinal}): ${did.detail}` });
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }),
  );
  return errors;
}
