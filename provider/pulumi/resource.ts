// BitcoinNetwork: the Pulumi resource class. Its URN reads `pulumi-nodejs:dynamic/regnet:BitcoinNetwork`.
//   new BitcoinNetwork("alpha", { namespace: "regtest", spec: { nodes: 3, implementation: "btcd" } })
// Outputs are declared with `declare` and seeded with `undefined` in the props, so Pulumi registers
// them as outputs without the class field initializer clobbering them (pulumi/pulumi#12160).
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { BitcoinNetworkSpecInput } from "../spec";
import { bitcoinNetworkProvider } from "./provider";
import type { NodeOutput } from "./types";

/** The spec as users write it; pod-level fields take @pulumi/kubernetes' input types. */
export type BitcoinNetworkSpecArgs = Omit<BitcoinNetworkSpecInput, "resources"> & {
  resources?: pulumi.Input<Pick<k8s.types.input.core.v1.ResourceRequirements, "requests" | "limits">>;
};

export interface BitcoinNetworkArgs {
  /** The network's name in the cluster; defaults to the resource name. */
  name?: pulumi.Input<string>;
  namespace: pulumi.Input<string>;
  /** Each field may itself be an Input (e.g. `nodes` from another resource's output). */
  spec: pulumi.Input<{ [K in keyof BitcoinNetworkSpecArgs]: pulumi.Input<BitcoinNetworkSpecArgs[K]> }>;
  /** A kubeconfig file, read by the provider on every call (default: $REGNET_KUBECONFIG, $KUBECONFIG, ~/.kube/config). */
  kubeconfigPath?: pulumi.Input<string>;
  /** Kubeconfig contents, e.g. `config.requireSecret("kubeconfig")`; stored encrypted, marked secret in outputs. */
  kubeconfig?: pulumi.Input<string>;
  /** How long `up` waits for the network to be ready, wired and bootstrapped (default 600 s). */
  convergeTimeoutSeconds?: pulumi.Input<number>;
}

const OUTPUT_KEYS = ["nodes", "readyNodes", "wired", "synced", "height", "rpcSecretName", "selector"] as const;

export class BitcoinNetwork extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly namespace: pulumi.Output<string>;
  /** The spec with every default applied (as validated by the engine). */
  declare readonly spec: pulumi.Output<BitcoinNetworkSpecInput>;
  declare readonly nodes: pulumi.Output<NodeOutput[]>;
  declare readonly readyNodes: pulumi.Output<number>;
  declare readonly wired: pulumi.Output<boolean>;
  declare readonly synced: pulumi.Output<boolean>;
  declare readonly height: pulumi.Output<number>;
  /** The Secret that holds the nodes' RPC credentials (the password itself never enters state). */
  declare readonly rpcSecretName: pulumi.Output<string>;
  /** Label selector of the network's pods, e.g. for `kubectl get pods -l`. */
  declare readonly selector: pulumi.Output<string>;

  constructor(name: string, args: BitcoinNetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, undefined]));
    const props = {
      ...outputs,
      name: args.name ?? name,
      namespace: args.namespace,
      spec: args.spec,
      kubeconfigPath: args.kubeconfigPath,
      kubeconfig: args.kubeconfig,
      convergeTimeoutSeconds: args.convergeTimeoutSeconds,
    };
    const secretOutputs = [...(opts?.additionalSecretOutputs ?? []), "kubeconfig"];
    super(bitcoinNetworkProvider, name, props, { ...opts, additionalSecretOutputs: secretOutputs }, "regnet", "BitcoinNetwork");
  }
}
