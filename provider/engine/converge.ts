// converge: reconcile again and again until the network is whole — every node Ready, wired to its
// expected peers, the initial blocks mined, all nodes on one tip — or until the deadline, whose
// error says, node by node, what is still missing.
import type { BitcoinNetworkSpec } from "../spec";
import { KubeError, NamespaceNotFoundError, OwnershipError } from "../kube";
import type { Change, NetworkRef, NetworkStatus } from "./types";
import type { ReconcileResult } from "./engine";
import { RpcSecretError } from "./apply";

/** What keeps `status` from being converged for `spec`; empty when it is. */
export function lacking(spec: BitcoinNetworkSpec, status: NetworkStatus | undefined): string[] {
  if (!status) return ["the network has no StatefulSet yet"];
  const out: string[] = [];
  const byOrdinal = new Map(status.nodes.map((n) => [n.ordinal, n]));
  for (let i = 0; i < spec.nodes; i++) {
    const n = byOrdinal.get(i);
    if (!n) {
      out.push(`node ${i}: no pod yet`);
      continue;
    }
    if (!n.ready) {
      out.push(`node ${i} (pod ${n.pod}): not Ready`);
      continue;
    }
    if (n.peers < n.expectedPeers) out.push(`node ${i} (pod ${n.pod}): ${n.peers}/${n.expectedPeers} peers`);
    if (n.height === undefined) out.push(`node ${i} (pod ${n.pod}): RPC not answering`);
  }
  if (spec.nodes > 0 && status.height < spec.mining.initialBlocks) out.push(`chain: height ${status.height} < ${spec.mining.initialBlocks} initial blocks`);
  if (spec.nodes > 0 && !status.synced && status.nodes.every((n) => n.ready)) {
    const tips = status.nodes.filter((n) => n.ready && n.height !== undefined).map((n) => `node ${n.ordinal} at ${n.height}`);
    out.push(`not synced: ${tips.join(", ")}`);
  }
  return out;
}

export async function converge(
  reconcile: (ref: NetworkRef, spec: BitcoinNetworkSpec) => Promise<ReconcileResult>,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  opts: { timeoutMs: number; onProgress?: (status: NetworkStatus, changes: Change[]) => void },
): Promise<NetworkStatus> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: NetworkStatus | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      const r = await reconcile(ref, spec);
      last = r.status;
      lastError = undefined;
      opts.onProgress?.(r.status, r.changes);
      if (lacking(spec, r.status).length === 0) return r.status;
    } catch (err) {
      // Someone else's object with our name, a missing namespace, a refused change or missing
      // rights: waiting won't help.
      if (err instanceof OwnershipError || err instanceof NamespaceNotFoundError || err instanceof RpcSecretError) throw err;
      if (err instanceof KubeError && [400, 403, 422].includes(err.code ?? 0)) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lacking(spec, last);
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      throw new Error(`network ${ref.namespace}/${ref.name} did not converge within ${opts.timeoutMs} ms: ${why.join("; ")}${cause}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
}
