// Peer wiring, applied: over the READY nodes, each node is told (addnode add) the peers the plan
// gives it and that it does not list yet, and forgets (addnode remove + disconnect) the ones it lists
// that the plan no longer gives it — departed pods after a scale-down, a pod's old IP after a
// restart. What a node lists is read first, so a wired network costs no write RPC.
import type { RpcCredentials, Implementation } from "../rpc";
import { P2P_PORT } from "./desired";
import { ADD_GRACE_MS, type EngineContext } from "./context";
import type { NodeView } from "./observe";
import type { Change, NetworkRef } from "./types";
import { plannedDials, type WiringPlan } from "./plan";

const addr = (ip: string) => `${ip}:${P2P_PORT}`;

/** Who dials whom among the ready nodes that answered, as addresses; and what to add/remove. */
export function wiringDiff(plan: WiringPlan, nodes: NodeView[], recentAdds: Map<string, number>, namespace: string, now = Date.now()) {
  const byOrdinal = new Map(nodes.map((n) => [n.ordinal, n]));
  const actions: { node: NodeView; add: string[]; remove: string[] }[] = [];
  for (const n of nodes) {
    if (!n.rpc) continue;
    const want = new Set(
      (plan.get(n.ordinal) ?? []).flatMap((o) => {
        const peer = byOrdinal.get(o);
        return peer?.ready && peer.ip ? [addr(peer.ip)] : [];
      }),
    );
    const have = new Set(n.rpc.added.map((p) => p.address));
    const add = [...want].filter((a) => !have.has(a) && now - (recentAdds.get(`${namespace}/${n.pod}→${a}`) ?? -Infinity) > ADD_GRACE_MS);
    const remove = [...have].filter((a) => !want.has(a));
    if (add.length || remove.length) actions.push({ node: n, add, remove });
  }
  return actions;
}

export async function wire(
  ctx: EngineContext,
  ref: NetworkRef,
  implementation: Implementation,
  creds: RpcCredentials,
  plan: WiringPlan,
  nodes: NodeView[],
  changes: Change[],
): Promise<string[]> {
  const errors: string[] = [];
  const actions = wiringDiff(plan, nodes, ctx.recentAdds, ref.namespace);
  await Promise.all(
    actions.map(async ({ node, add, remove }) => {
      const ops = ctx.rpc.node({ namespace: ref.namespace, pod: node.pod, ip: node.ip!, implementation }, creds);
      for (const a of remove) {
        try {
          await ops.removePeer(a);
          ctx.recentAdds.delete(`${ref.namespace}/${node.pod}→${a}`);
          changes.push({ kind: "Pod", name: node.pod, action: "unwire", detail: `node ${node.ordinal} forgot peer ${a}` });
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      }
      for (const a of add) {
        try {
          await ops.addPeer(a);
          ctx.recentAdds.set(`${ref.namespace}/${node.pod}→${a}`, Date.now());
          changes.push({ kind: "Pod", name: node.pod, action: "wire", detail: `node ${node.ordinal} added peer ${a}` });
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  return errors;
}

/** How many of the peers the topology gives node `n` (either direction) it is connected to now. */
export function connectedExpected(n: NodeView, neighbours: number[], nodes: NodeView[]): number {
  if (!n.rpc) return 0;
  const ips = new Set(n.rpc.peers.map((p) => p.addr.slice(0, p.addr.lastIndexOf(":")).replace(/^\[|\]$/g, "")));
  const byOrdinal = new Map(nodes.map((x) => [x.ordinal, x]));
  return neighbours.filter((o) => {
    const ip = byOrdinal.get(o)?.ip;
    return ip !== undefined && ips.has(ip);
  }).length;
}

export { plannedDials };
