// The API identity of a BitcoinNetwork, shared by the CRD, the controller and the Pulumi provider.
export const GROUP = "regnet.dev";
export const VERSION = "v1alpha1";
export const KIND = "BitcoinNetwork";
export const PLURAL = "bitcoinnetworks";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const IMPLEMENTATIONS = ["bitcoin-core", "btcd"] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

/** Bitcoin Core publishes an official image; btcd has none, so the project builds and documents its own. */
const DEFAULT_IMAGES: Record<Implementation, string> = {
  "bitcoin-core": "bitcoin/bitcoin:30.2",
  btcd: "ghcr.io/regnet-dev/btcd:v0.26.2",
};

export function defaultImage(implementation: Implementation): string {
  return DEFAULT_IMAGES[implementation];
}

/** Regtest P2P port, the same for both implementations; RPC ports differ. */
export const P2P_PORT = 18444;
export const RPC_PORTS: Record<Implementation, number> = { "bitcoin-core": 18443, btcd: 18334 };

export const MAX_NODES = 100;
/** StatefulSet pods are `<name>-<ordinal>` (≤ 2 digits + dash) and carry a controller-revision-hash
 * label `<name>-<10 chars>`, which must fit in 63: 63 - 11 = 52. */
export const MAX_NETWORK_NAME_LENGTH = 52;
/** topology.edges is checked for duplicates pairwise (CEL, quadratic): the API server's cost budget
 * allows about 700 items; 500 links is ten peers per node at the largest network. Denser networks
 * are what mesh and random are for. */
export const MAX_EDGES = 500;
