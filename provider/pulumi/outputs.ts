// The resource's outputs: its inputs (so `diff` sees them as olds) merged with what the engine observed.
// Only names and numbers leave the cluster: the RPC password stays in its Secret, outputs carry
// `rpcSecretName`. Pulumi cannot store `undefined` (pulumi/pulumi#2205), so absent values are dropped.
import type { NetworkStatus } from "../engine";
import type { NetworkObservation } from "./types";

/** What the front door publishes of the engine's NetworkStatus: conditions belong in a custom
 * resource's status, not in Pulumi state. Nodes in ordinal order. */
function observationOf(status: NetworkStatus): NetworkObservation {
  return {
    nodes: [...status.nodes].sort((a, b) => a.ordinal - b.ordinal).map((n) => dropUndefined({ ...n })),
    readyNodes: status.readyNodes,
    wired: status.wired,
    synced: status.synced,
    height: status.height,
    rpcSecretName: status.rpcSecretName,
    selector: status.selector,
  };
}

/** The inputs (without Pulumi's hidden `__provider`, which the runtime adds back) merged with the observation. */
export function outputsOf(inputs: Record<string, unknown>, status: NetworkStatus): Record<string, unknown> {
  const { __provider: _ignored, ...rest } = inputs;
  return dropUndefined({ ...rest, ...observationOf(status) });
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
