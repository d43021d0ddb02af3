// The plain (resolved) shapes of the BitcoinNetwork dynamic resource: what check/diff/create/read see.
// Inputs mirror a BitcoinNetwork custom resource: a network name and namespace plus the spec, so the
// same spec object works for the Pulumi resource and the CR. The rest of the inputs say how to reach
// the cluster and how long to wait; none of them holds a credential unless the user passes kubeconfig
// contents, which the resource marks secret.
import type { NetworkStatus, NodeStatus } from "../engine/types";
import type { BitcoinNetworkSpecInput } from "../spec";

export interface NetworkInputs {
  /** The network's name in the cluster (DNS-1035 label, ≤ 52 characters). */
  name: string;
  namespace: string;
  spec: BitcoinNetworkSpecInput;
  /** Path of a kubeconfig file, read inside each provider call (a path is not a credential). */
  kubeconfigPath?: string;
  /** Kubeconfig contents; pass it as a Pulumi secret (it is stored encrypted and marked secret in outputs). */
  kubeconfig?: string;
  /** How long create/update wait for the network to be ready, wired and bootstrapped (default 600). */
  convergeTimeoutSeconds?: number;
}

/** One node in the outputs: exactly what the engine observed of it. */
export type NodeOutput = NodeStatus;

/** What the network looks like in the cluster (the engine's status less its conditions); merged
 * with the inputs into the resource's outputs. */
export type NetworkObservation = Pick<NetworkStatus, "nodes" | "readyNodes" | "wired" | "synced" | "height" | "rpcSecretName" | "selector">;

export type NetworkOutputs = NetworkInputs & NetworkObservation;

/** Input keys that address the cluster rather than describe the network. */
export const ACCESS_KEYS = ["kubeconfigPath", "kubeconfig", "convergeTimeoutSeconds"] as const;
