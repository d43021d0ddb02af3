// converge: reconcile again and again until the network is whole — every node Ready, wired to its
// expected peers, the initial blocks mined, all nodes on one tip — or until the deadline, whose
// error says, node by node, what is still missing.
import type { BitcoinNetworkSpec } from "../spec";
import { KubeError, NamespaceNotFoundError, OwnershipError } from "../kube";
import { RpcSecretError } from "./apply";
import { lacking } from "./status";
import type { ConvergeOptions, NetworkRef, NetworkStatus, ReconcileResult } from "./types";
import { setTimeout as sleep } from "node:timers/promises";
import { messageOf } from "../errors";

export async function converge(
  reconcile: (ref: NetworkRef, spec: BitcoinNetworkSpec) => Promise<ReconcileResult>,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  opts: ConvergeOptions,
): Promise<NetworkStatus> {
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  let last: NetworkStatus | undefined;
  let lastError: unknown;
  for (;;) {
    // A pass that wrote to nodes asks to be followed sooner (see reconcile's requeueAfter).
    let pause = 1000;
    try {
      const r = await reconcile(ref, spec);
      pause = Math.min(pause, r.requeueAfterMs ?? pause);
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
      const cause = lastError !== undefined ? `; last error: ${messageOf(lastError)}` : "";
      throw new Error(`network ${ref.namespace}/${ref.name} did not converge within ${opts.timeoutSeconds} s: ${why.join("; ")}${cause}`);
    }
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
  }
}
