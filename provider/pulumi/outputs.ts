// The resource's outputs: its inputs (so `diff` sees them as olds) merged with what the engine observed.
// Only names and numbers leave the cluster: the RPC password stays in its Secret, outputs carry
// `rpcSecretName`. Pulumi cannot store `undefined` (pulumi/pulumi#2205), so absent values are dropped.
import type { NetworkObservation, NodeOutput } from "./types";

/** The slice of the engine's NetworkStatus the front door publishes (kept structural on purpose:
 * the engine may carry more, e.g. conditions, which belong in the CR status rather than in state). */
export interface ObservedStatus {
  nodes: {
    ordinal: number;
    pod: string;
    ip?: string | null;
    ready: boolean;
    peers?: number | null;
    expectedPeers?: number | null;
    height?: number | null;
    bestBlockHash?: string | null;
    version?: string | number | null;
  }[];
  readyNodes: number;
  selector: string;
  wired: boolean;
  synced: boolean;
  height?: number | null;
  rpcSecretName: string;
}

function observationOf(status: ObservedStatus): NetworkObservation {
  const nodes: NodeOutput[] = [...status.nodes]
    .sort((a, b) => a.ordinal - b.ordinal)
    .map((n) =>
      dropUndefined({
        ordinal: n.ordinal,
        pod: n.pod,
        ip: n.ip ?? undefined,
        ready: n.ready,
        peers: n.peers ?? 0,
        expectedPeers: n.expectedPeers ?? 0,
        height: n.height ?? undefined,
        bestBlockHash: n.bestBlockHash ?? undefined,
        version: n.version === null || n.version === undefined ? undefined : String(n.version),
      }),
    );
  return {
    nodes,
    readyNodes: status.readyNodes,
    wired: status.wired,
    synced: status.synced,
    height: status.height ?? 0,
    rpcSecretName: status.rpcSecretName,
    selector: status.selector,
  };
}

/** The inputs (without Pulumi's hidden `__provider`, which the runtime adds back) merged with the observation. */
export function outputsOf(inputs: Record<string, unknown>, status: ObservedStatus): Record<string, unknown> {
  const { __provider: _ignored, ...rest } = inputs;
  return dropUndefined({ ...rest, ...observationOf(status) });
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
