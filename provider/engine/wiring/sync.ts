// Sync: a Ready node that stays behind the tip with no progress is caught up — the safety net under
// the plan's catch-up rules (./plan).
import type { RpcCredentials } from "../../rpc";
import type { Implementation } from "../../spec";
import type { EngineContext } from "../context";
import { hostOf, peerAddress, type NodeView } from "../node";
import type { Change, NetworkRef } from "../types";
import { addKey } from "./apply";
import { messageOf } from "../../errors";

/** A Ready node that has stayed behind the best tip this long, without progress, is nudged... */
const LAG_NUDGE_MS = 5_000;
/** ...and at most this often. */
const NUDGE_EVERY_MS = 15_000;

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
        const did = await ctx.rpc
          .node({ namespace: ref.namespace, pod: n.pod, ip: n.ip!, implementation }, creds)
          .unstick(address, best, behindPeers);
        // btcd redials a dropped added peer itself: do not add it a second time meanwhile.
        if (did.droppedAdded) ctx.recentAdds.set(addKey(n.uid, did.droppedAdded), now);
        changes.push({
          kind: "Pod",
          name: n.pod,
          action: "wire",
          detail: `node ${n.ordinal} stuck at height ${height} < ${best} (node ${leader.ordinal}): ${did.detail}`,
        });
      } catch (err) {
        errors.push(messageOf(err));
      }
    }),
  );
  return errors;
}
