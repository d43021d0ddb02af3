// Shapes shared by the engine, the controller and the Pulumi provider. The CRD's status schema
// (provider/spec/status-schema.ts) is checked against these at compile time.
// From the schema module itself: spec/index imports the CRD schema, which imports these types.
import type { BitcoinNetworkSpec } from "../spec/schema";

/** Which network, and (for the controller) the BitcoinNetwork object that owns its children. */
export interface NetworkRef {
  name: string;
  namespace: string;
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
}

/** What regnet observed of one node. Fields that need a ready node's RPC are absent until known. */
export interface NodeStatus {
  ordinal: number;
  pod: string;
  /** Pod IP; absent before the pod has one. */
  ip?: string;
  ready: boolean;
  /** Expected peers this node is connected to (see expectedPeers). */
  peers: number;
  /** How many peers the topology gives this node among the ready nodes. */
  expectedPeers: number;
  height?: number;
  bestBlockHash?: string;
  /** The node's user agent, e.g. `/Satoshi:30.2.0/` or `/btcwire:0.5.0/btcd:0.26.2/`. */
  version?: string;
}

/** Kubernetes metav1.Condition. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  /** RFC 3339 time the status last changed. */
  lastTransitionTime: string;
  /** CamelCase machine-readable reason. */
  reason: string;
  message: string;
}

export interface NetworkStatus {
  nodes: NodeStatus[];
  readyNodes: number;
  /** Label selector string of the network's pods (for the CRD scale subresource). */
  selector: string;
  /** Every ready node is connected to all of its expected peers. */
  wired: boolean;
  /** All ready nodes have the same best block. */
  synced: boolean;
  /** Highest height among ready nodes (0 when none). */
  height: number;
  conditions: Condition[];
  rpcSecretName: string;
  observedGeneration?: number;
}

/** A peer link the topology wants, between nodes `a` < `b`, and whether it is connected now. */
export interface NetworkLink {
  a: number;
  b: number;
  connected: boolean;
}

/** Everything a read-only look at a network shows (the `regnet` command's status and graph). */
export interface NetworkView {
  ref: NetworkRef;
  /** The spec the network was last applied with (nodes: the StatefulSet's replicas). */
  spec: BitcoinNetworkSpec;
  status: NetworkStatus;
  /** Every link the topology wants, connected or not (status counts those among ready nodes). */
  links: NetworkLink[];
}

/** One thing a reconcile did (or would do), for logs, events and Pulumi diffs. */
export interface Change {
  kind: string;
  name: string;
  action: "create" | "update" | "delete" | "adopt" | "scale" | "wire" | "unwire" | "mine";
  detail: string;
}

export interface ReconcileResult {
  status: NetworkStatus;
  /** What this pass changed (API objects created/updated/adopted, peers added/removed, blocks mined). */
  changes: Change[];
  /** Set when the network is not settled yet (pods starting, peers connecting): reconcile again after this. */
  requeueAfterMs?: number;
}

export interface ConvergeOptions {
  /** How long to keep reconciling (Pulumi: convergeTimeoutSeconds). */
  timeoutSeconds: number;
  onProgress?: (status: NetworkStatus, changes: Change[]) => void;
}

export interface DestroyOptions {
  /** Wait until the pods are gone. */
  wait: boolean;
  timeoutMs?: number;
}
