// The BitcoinNetwork provider's real implementation, loaded at call time by the trampolines in
// ./provider.ts inside Pulumi's dynamic-provider process (so none of this is serialized into state).
// Thin by design: validation is the spec's, the diff is ./diff.ts, and everything that touches the
// cluster or a node is the engine's, in ./engine-calls — loaded only by create/read/update/delete,
// so a `pulumi preview` (check and diff) neither loads the engine and the Kubernetes client (about
// 2.5 s of the ~7 s a one-network preview took, measured with `npm run bench`) nor reaches the cluster.
// Credentials are read there, per call: the kubeconfig from the `kubeconfig` input (a Pulumi
// secret), the `kubeconfigPath` input, $REGNET_KUBECONFIG or $KUBECONFIG; the RPC password never
// leaves its Secret (outputs carry only `rpcSecretName`).
import type * as pulumi from "@pulumi/pulumi";
import { validateKnownParts, validateNetworkName, validateSpec } from "../spec";
import { checkNetwork } from "./check";
import { diffNetwork } from "./diff";
import type { NetworkInputs } from "./types";

/** Loaded on first use (Node's module cache keeps it for the process's later calls). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calls = () => require("./engine-calls") as typeof import("./engine-calls");

/** What create/read/update/delete are given (Pulumi types them `any`): see ./engine-calls. */
type Props = NetworkInputs & Record<string, unknown>;

export const provider: Required<Omit<pulumi.dynamic.ResourceProvider, "configure">> = {
  async check(_olds, news: Record<string, unknown>) {
    return checkNetwork(news, validateSpec, validateNetworkName, validateKnownParts);
  },

  async diff(_id, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffNetwork(olds, news);
  },

  create: async (inputs: Props) => calls().create(inputs),
  update: async (id, _olds, news: Props) => calls().update(id, news),
  read: async (id, props: Props) => calls().read(id, props),
  delete: async (_id, props: Props) => calls().remove(props),
};
