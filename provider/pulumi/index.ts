// The Pulumi front door: the BitcoinNetwork resource and its (serialized) dynamic provider.
export { BitcoinNetwork, type BitcoinNetworkArgs, type BitcoinNetworkSpecArgs } from "./resource";
export { bitcoinNetworkProvider } from "./provider";
export type { NetworkInputs, NetworkOutputs, NodeOutput } from "./types";
