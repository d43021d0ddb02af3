// Public entry of the engine: what the front doors import.
export type { Engine } from "./engine";
export { createEngine } from "./engine";
export { OwnershipError, NamespaceNotFoundError } from "../kube";
export { RpcSecretError } from "./apply";
export type { Change, NetworkRef, NetworkStatus, NetworkView, NodeStatus } from "./types";
