// Peer wiring, applied: the pure plan (./wiring: each edge dialled by its lower ordinal, catching-up
// nodes seeded from the tip) over what the Ready nodes report, then a seed, remove + disconnect for
// what is gone (departed pods after a scale-down, a pod's old IP after a restart), adds and redials.
// The lists are read first, so a wired network costs no write RPC.
import type { RpcCredentials } from "../../rpc";
import type { Implementation } from "../../spec";
import type { EngineContext } from "../context";
import { hostOf, type NodeView } from "../node";
import type { Change, NetworkRef } from "../types";
import type { Edge } from "./topology";
import { planWiring, type NodeWiring } from "./plan";
import { messageOf } from "../../errors";

/** Keyed by pod UID: a re-created pod (same name) starts with an empty list and must be told again. */
export const addKey = (uid: string, address: string) => `${uid}→${address}`;

/** How long a fresh `addnode add` is trusted to be dialling before it is sent again (btcd lists
 * only *connected* added peers, so one still dialling would otherwise be added again). */
const ADD_GRACE_MS = 30_000;
/** How long a one-shot dial (redial, seed) is given before it is tried again. */
const DIAL_GRACE_MS = 10_000;

/**
 * The plan over the nodes that answered (a Ready node whose list could not be read is left alone
 * this pass), less what was sent moments ago and may still be dialling: btcd lists only *connected*
 * added peers, so an address it was told to add is not sent again until ADD_GRACE_MS has passed; a
 * one-shot dial is not repeated within DIAL_GRACE_MS.
 */
function wiringActions(edges: readonly Edge[], nodes: NodeView[], recentAdds: ReadonlyMap<string, number>, now = Date.now()): NodeWiring[] {
  const uid = new Map(nodes.map((n) => [n.ordinal, n.uid]));
  const fresh = (ordinal: number, address: string, grace: number) =>
    now - (recentAdds.get(addKey(uid.get(ordinal)!, address)) ?? -Infinity) <= grace;
  return planWiring(edges, nodes)
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
  const liveIps = new Set(nodes.filter((n) => n.ready && n.ip).map((n) => n.ip!));
  const note = (err: unknown) => errors.push(messageOf(err));
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
      // A removed edge to a node that is still here (a topology change, not a departed pod) must
      // not come back by the node's own redial.
      if (remove.some((a) => liveIps.has(hostOf(a)))) {
        try {
          const did = await ops.forgetRemoved();
          if (did) {
            for (const k of ctx.recentAdds.keys()) if (k.startsWith(`${node.uid}→`)) ctx.recentAdds.delete(k);
            changes.push({ kind: "Pod", name: node.pod, action: "unwire", detail: `node ${ordinal} ${did}` });
          }
        } catch (err) {
          note(err);
        }
      }
      for (const a of add) await step(a, "wire", `added peer ${a}`, () => ops.addPeer(a), true);
      for (const a of redial ?? []) await step(a, "wire", `dialled added peer ${a} again`, () => ops.connectOnce(a), true);
    }),
  );
  return errors;
}
