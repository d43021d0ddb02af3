// The cluster-scoped half of the platform: CRD, Namespace, ClusterRole and ClusterRoleBinding. No
// chart namespace: cdk8s would stamp it on every object, cluster-scoped ones included.
import { Chart, ChartProps } from "cdk8s";
import { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { BitcoinNetworkCrd } from "./bitcoin-network-crd";
import { ControllerClusterRole } from "./controller-cluster-role";
import { DEFAULT_CONTROLLER_NAME, DEFAULT_NAMESPACE, platformLabels } from "./defaults";
import type { PlatformProps } from "./platform-props";

export type ClusterChartProps = PlatformProps & Omit<ChartProps, "namespace">;

export class ClusterChart extends Chart {
  readonly crd: BitcoinNetworkCrd;

  constructor(scope: Construct, id: string, props: ClusterChartProps = {}) {
    super(scope, id, { labels: props.labels, disableResourceNameHashes: true });
    const namespace = props.namespace ?? DEFAULT_NAMESPACE;
    const name = props.name ?? DEFAULT_CONTROLLER_NAME;
    this.crd = new BitcoinNetworkCrd(this, "bitcoinnetworks");
    new kplus.Namespace(this, "namespace", {
      metadata: {
        name: namespace,
        // Only the controller runs here, and it meets the restricted Pod Security profile.
        labels: { ...platformLabels("namespace"), "pod-security.kubernetes.io/enforce": "restricted" },
      },
    });
    new ControllerClusterRole(this, "rbac", {
      name,
      serviceAccount: { name, namespace },
      secretNamespaces: props.secretNamespaces,
    });
  }
}
