// Public entry of the engine: what the front doors import.
export type { Engine, EngineOptions } from "./engine";
export { createEngine } from "./engine";
export { OwnershipError, KubeError, NamespaceNotFoundError } from "../kube";
export { RpcSecretError } from "./apply";
export { NetworkNotFoundError, NodeUnavailableError } from "./errors";
export { lacking, nodeState, type NodeState } from "./status";
export type {
  Change,
  ConvergeOptions,
  DestroyOptions,
  NetworkLink,
  NetworkRef,
  NetworkStatus,
  NetworkView,
  NodeStatus,
  ReconcileResult,
} from "./types";
