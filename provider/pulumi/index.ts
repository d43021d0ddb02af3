// The Pulumi front door, for Pulumi programs (infra/pulumi/stack.ts is one): the BitcoinNetwork
// resource and the shapes of its inputs and outputs.
export { BitcoinNetwork, type BitcoinNetworkArgs, type BitcoinNetworkSpecArgs } from "./resource";
export type { NetworkInputs, NetworkOutputs, NodeOutput } from "./types";
