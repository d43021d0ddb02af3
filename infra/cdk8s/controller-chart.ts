// The namespaced half of the platform, all in the controller's namespace: ServiceAccount,
// leader-election Role and RoleBinding, and the controller Deployment.
import { Chart, ChartProps } from "cdk8s";
import { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { ControllerDeployment } from "./controller-deployment";
import { DEFAULT_CONTROLLER_NAME, DEFAULT_NAMESPACE, platformLabels } from "./defaults";
import { LeaderElectionRole } from "./leader-election-role";
import type { PlatformProps } from "./platform-props";

export type ControllerChartProps = PlatformProps & Omit<ChartProps, "namespace">;

export class ControllerChart extends Chart {
  readonly controller: ControllerDeployment;

  constructor(scope: Construct, id: string, props: ControllerChartProps = {}) {
    super(scope, id, {
      labels: props.labels,
      namespace: props.namespace ?? DEFAULT_NAMESPACE,
      disableResourceNameHashes: true,
    });
    const name = props.name ?? DEFAULT_CONTROLLER_NAME;
    const serviceAccount = new kplus.ServiceAccount(this, "service-account", {
      metadata: { name, labels: platformLabels("controller") },
      // The pod opts in (automountServiceAccountToken on the Deployment); nothing else gets a token.
      automountToken: false,
    });
    new LeaderElectionRole(this, "leader-election", {
      serviceAccountName: name,
      name: `${name}-leader-election`,
    });
    // Secrets scoped by RBAC (ControllerClusterRole) are watched only where the controller may list them.
    const secretArgs = props.secretNamespaces ? [`--secret-namespaces=${props.secretNamespaces.join(",")}`] : [];
    const args = [...secretArgs, ...(props.controllerArgs ?? [])];
    this.controller = new ControllerDeployment(this, "controller", {
      name,
      serviceAccount,
      image: props.image,
      tag: props.tag,
      args: args.length ? args : undefined,
    });
  }
}
