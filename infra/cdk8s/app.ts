// Everything `cdk8s synth` writes to charts-out/, one chart per file, in apply order:
// regnet-cluster (CRD, Namespace, cluster RBAC) → regnet-controller (regnet-system) → regnet-examples.
import { App } from "cdk8s";
import { ClusterChart } from "./cluster-chart";
import { ControllerChart } from "./controller-chart";
import { ExampleNetworksChart } from "./example-networks-chart";
import type { PlatformProps } from "./platform-props";

export function definePlatform(app: App, props: PlatformProps = {}): { cluster: ClusterChart; controller: ControllerChart } {
  return {
    cluster: new ClusterChart(app, "regnet-cluster", props),
    controller: new ControllerChart(app, "regnet-controller", props),
  };
}

export function defineApp(app: App): void {
  definePlatform(app);
  new ExampleNetworksChart(app, "regnet-examples");
}
