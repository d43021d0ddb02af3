// Peer wiring, applied: the pure plan (./wiring: each edge dialled by its lower ordinal) over what
// the Ready nodes report, then `addnode add` for what is missing and remove + disconnect for what
// is gone (departed pods after a scale-down, a pod's old IP after a restart). The lists are read
// first, so a wired network costs no write RPC.
import type { RpcCredentials, Implementation } from "../rpc";
import { ADD_GRACE_MS, type EngineContext } from "./context";
import type { NodeView } from "./observe";
import type { Edge } from "./topology";
import { planWiring, type NodeWiring } from "./wiring";
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
