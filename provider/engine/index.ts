// Public entry of the engine: what the front doors import.
export type { Engine, EngineOptions, ReconcileResult, ConvergeOptions, DestroyOptions } from "./engine";
export { createEngine } from "./engine";
export { OwnershipError, KubeError, NamespaceNotFoundError } from "../kube";
export { RpcSecretError } from "./apply";
export type { Change, NetworkRef, NetworkStatus, NodeStatus } from "./types";
