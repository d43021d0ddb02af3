export { RpcClient, pinnedAgent, type NodeTarget, type RpcCredentials, type RpcClientOptions, type RpcCounters } from "./client";
export { RpcError, authForms, scrub } from "./errors";
export {
  dialectFor,
  P2P_PORT,
  type Implementation,
  type NodeOps,
  type AddedPeer,
  type ChainTip,
  type ConnectedPeer,
  type Dialect,
} from "./dialect";
export { type RpcAccess } from "./access";
