// Chain bootstrap: `mining.initialBlocks` mined once on node 0, so the first coinbase matures.
// Level-based like the rest: it looks at the heights the ready nodes report and mines only when no
// node has reached the target — never a second time on a network that already has its chain, and
// not while node 0 is still catching up to a peer that has more blocks.
// It mines only once every node is Ready and wired: each block is then announced to peers that are
// already connected, which fetch it at once. Mined earlier, the chain would reach a Bitcoin Core node
// only through the one peer it syncs headers from in initial block download (see ./wiring), which
// may be another node with no blocks: a 20-30 minute stall.
import type { BitcoinNetworkSpec, Implementation } from "../spec";
import type { RpcCredentials } from "../rpc";
import { MINING_ADDRESS } from "./desired";
import type { EngineContext } from "./context";
import type { NodeView } from "./node";
import type { Change, NetworkRef } from "./types";

export type BootstrapState = "done" | "mined" | "waiting";

export function blocksToMine(spec: Pick<BitcoinNetworkSpec, "mining">, nodes: NodeView[], wired: boolean): number | "waiting" {
  const target = spec.mining.initialBlocks;
  if (target === 0) return 0;
  const ready = nodes.filter((n) => n.ready);
  const known = ready.filter((n) => n.rpc);
  const best = Math.max(0, ...known.map((n) => n.rpc!.tip.height));
  if (best >= target) return 0;
  const node0 = known.find((n) => n.ordinal === 0);
  // A ready node we could not ask may hold the chain: do not mine blind.
  if (!node0 || known.length < ready.length || node0.rpc!.tip.height < best || !wired) return "waiting";
  return target - node0.rpc!.tip.height;
}

export async function bootstrap(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  creds: RpcCredentials,
  nodes: NodeView[],
  wired: boolean,
  changes: Change[],
): Promise<BootstrapState> {
  const n = blocksToMine(spec, nodes, wired);
  if (n === "waiting") return "waiting";
  if (n === 0) return "done";
  const node0 = nodes.find((x) => x.ordinal === 0)!;
  const implementation: Implementation = spec.implementation;
  await ctx.rpc.node({ namespace: ref.namespace, pod: node0.pod, ip: node0.ip!, implementation }, creds).mine(n, MINING_ADDRESS);
  changes.push({
    kind: "Pod",
    name: node0.pod,
    action: "mine",
    detail: `mined ${n} blocks on node 0 (initialBlocks ${spec.mining.initialBlocks})`,
  });
  return "mined";
}
