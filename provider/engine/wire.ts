// Peer wiring, applied: the pure plan (./wiring: each edge dialled by its lower ordinal, catching-up
// nodes seeded from the tip) over what the Ready nodes report, then a seed, remove + disconnect for
// what is gone (departed pods after a scale-down, a pod's old IP after a restart), adds and redials.
// The lists are read first, so a wired network costs no write RPC.
import type { RpcCredentials, Implementation } from "../rpc";
import { ADD_GRACE_MS, type EngineContext } from "./context";
import type { NodeView } from "./observe";
import type { Edge } from "./topology";
import { peerAddress, planWiring, type NodeWiring, type WiringNode } from "./wiring";
import type { Change, NetworkRef } from "./types";

/** Keyed by pod UID: a re-created pod (same name) starts with an empty list and must be told again. */
const addKey = (uid: string, address: string) => `${uid}→${address}`;

/** How long a one-shot dial (redial, seed) is given before it is tried again. */
export const DIAL_GRACE_MS = 10_000;

/** Host part of `ip:port` / `[v6]:port`. */
const hostOf = (addr: string) => addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "");

/** What the plan needs to know of each node, from what it reported. */
export function wiringNodes(nodes: NodeView[]): WiringNode[] {
  return nodes.map((n) => ({
    ordinal: n.ordinal,
    ip: n.ip,
    ready: n.ready && !!n.rpc,
    added: n.rpc?.added.map((a) => a.address) ?? [],
    unconnected: n.rpc?.added.filter((a) => !a.connected).map((a) => a.address) ?? [],
    height: n.rpc?.tip.height,
    ibd: n.rpc?.tip.ibd,
    peerIps: n.rpc?.peers.map((p) => hostOf(p.addr)) ?? [],
  }));
}

/**
 * The plan over the nodes that answered (a Ready node whose list could not be read is left alone
 * this pass), less what was sent moments ago and may still be dialling: btcd lists only *connected*
 * added peers, so an address it was told to add is not sent again until ADD_GRACE_MS has passed; a
 * one-shot dial is not repeated within DIAL_GRACE_MS.
 */
export function wiringActions(edges: readonly Edge[], nodes: NodeView[], recentAdds: ReadonlyMap<string, number>, now = Date.now()): NodeWiring[] {
  const uid = new Map(nodes.map((n) => [n.ordinal, n.uid]));
  const fresh = (ordinal: number, address: string, grace: number) => now - (recentAdds.get(addKey(uid.get(ordinal)!, address)) ?? -Infinity) <= grace;
  return planWiring(edges, wiringNodes(nodes))
    .map((w) => {
      const step: NodeWiring = { ordinal: w.ordinal, add: w.add.filter((a) => !fresh(w.ordinal, a, ADD_GRACE_MS)), remove: w.remove };
      const redial = w.redial?.filter((a) => !fresh(w.ordinal, a, DIAL_GRACE_MS));
      if (redial?.length) step.redial = redial;
      if (w.seed && !fresh(w.ordinal, w.seed, DIAL_GRACE_MS)) step.seed = w.seed;
      return step;
    })
    .filter((w) => w.add.length || w.remove.length || w.redial || w.seed);
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
    wiringActions(edges, nodes, ctx.recentAdds).map(async ({ ordinal, add, remove, redial, seed }) => {
      const node = byOrdinal.get(ordinal)!;
      const ops = ctx.rpc.node({ namespace: ref.namespace, pod: node.pod, ip: node.ip!, implementation }, creds);
      const step = async (address: string, action: Change["action"], detail: string, call: () => Promise<void>, remember: boolean) => {
        try {
          await call();
          if (remember) ctx.recentAdds.set(addKey(node.uid, address), Date.now());
          else ctx.recentAdds.delete(addKey(node.uid, address));
          changes.push({ kind: "Pod", name: node.pod, action, detail: `node ${ordinal} ${detail}` });
        } catch (err) {
          note(err);
        }
      };
      // A seed first: a catching-up node's first peer must be one with the chain.
      if (seed) await step(seed, "wire", `connected once to ${seed} (a node at the tip) to catch up`, () => ops.connectOnce(seed), true);
      for (const a of remove) await step(a, "unwire", `dropped peer ${a}`, () => ops.removePeer(a), false);
      for (const a of add) await step(a, "wire", `added peer ${a}`, () => ops.addPeer(a), true);
      for (const a of redial ?? []) await step(a, "wire", `dialled added peer ${a} again`, () => ops.connectOnce(a), true);
    }),
  );
  return errors;
}

/** A Ready node that has stayed behind the best tip this long, without progress, is nudged... */
export const LAG_NUDGE_MS = 5_000;
/** ...and at most this often. */
export const NUDGE_EVERY_MS = 15_000;

/**
 * Catching up a node that is stuck behind the tip with no progress: the safety net under the
 * wiring's catch-up rules. Seen with btcd (16 wired nodes, one at height 0 for ~90 s while the rest
 * were at 101): it had picked as its sync peer a node that was itself mid-sync at handshake time,
 * which then never served it. The dialect's `unstick` drops such a sync peer and connects once to a
 * node at the tip. Only lagging nodes are touched, so a synced network costs nothing.
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
  const heightByIp = new Map(known.map((n) => [n.ip!, n.rpc!.tip.height]));
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
      const behindPeers = n.rpc!.peers.filter((p) => (heightByIp.get(hostOf(p.addr)) ?? best) < best).map((p) => p.addr);
      try {
        const did = await ctx.rpc.node({ namespace: ref.namespace, pod: n.pod, ip: n.ip!, implementation }, creds).unstick(address, best, behindPeers);
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
