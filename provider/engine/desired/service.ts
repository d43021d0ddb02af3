// The headless Service that gives the StatefulSet's pods stable DNS names. Not-ready pods are
// published too: a node is reachable by its peers before its own readiness probe passes.
import type { V1Service } from "@kubernetes/client-node";
import type { BitcoinNetworkSpec } from "../../spec";
import { selectorLabels } from "../labels";
import type { NetworkRef } from "../types";
import { P2P_PORT, RPC_PORTS } from "../../spec/constants";
import { objectMeta } from "./common";

export function buildService(ref: NetworkRef, spec: Pick<BitcoinNetworkSpec, "implementation">): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: objectMeta(ref, ref.name),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(ref.name),
      ports: [
        { name: "p2p", port: P2P_PORT, targetPort: "p2p", protocol: "TCP" },
        { name: "rpc", port: RPC_PORTS[spec.implementation], targetPort: "rpc", protocol: "TCP" },
      ],
    },
  };
}
