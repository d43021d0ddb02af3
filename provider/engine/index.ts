// Public entry of the engine: what the front doors import.
export type { Engine, EngineOptions } from "./engine";
export { createEngine } from "./engine";
export { OwnershipError, KubeError, NamespaceNotFoundError } from "../kube";
export { RpcSecretError } from "./apply";
export type { Change, ConvergeOptions, DestroyOptions, NetworkRef, NetworkStatus, NodeStatus, ReconcileResult } from "./types";
