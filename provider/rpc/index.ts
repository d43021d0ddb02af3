export { RpcClient, type NodeTarget, type RpcCredentials } from "./client";
export { RpcError, authForms, scrub } from "./errors";
export { type AddedPeer, type ChainTip, type ConnectedPeer, type NodeOps } from "./dialect";
export { type RpcAccess } from "./access";
