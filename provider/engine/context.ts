// What every engine step shares: the API access layer and where it reads, the RPC client, the logger, and short
// memories kept between passes (recent dials, conditions, versions, lagging nodes).
import type { KubeObjects, ObjectReader } from "../kube";
import type { RpcClient } from "../rpc";
import type { Logger } from "../log";
import type { Condition } from "./types";

export interface EngineContext {
  /** Writes (and, for the Pulumi provider, reads) through the API server. */
  kube: KubeObjects;
  /** Where objects are read: the API server, or the controller's informer caches. */
  read: ObjectReader;
  rpc: RpcClient;
  logger: Logger;
  /** `<pod uid>→<address>` → time of the last dial sent (see wiring/apply). */
  recentAdds: Map<string, number>;
  /** `<namespace>/<name>` → the conditions last reported, to keep lastTransitionTime stable. */
  lastConditions: Map<string, Condition[]>;
  /** Pod UID → the node's version (fixed for a pod's life). */
  versions: Map<string, string>;
  /** Pod UID → a height it has been stuck at behind the tip, since when, and when last nudged. */
  lagging: Map<string, { height: number; since: number; nudged?: number }>;
  /** `<namespace>/<name>` → UIDs of its pods seen last pass (to forget the departed ones). */
  podUids: Map<string, Set<string>>;
}
