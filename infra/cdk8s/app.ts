// What `cdk8s synth` writes to charts-out/, one chart per file, in apply order:
// regnet-cluster (CRD, Namespace, cluster RBAC) → regnet-controller (regnet-system); and the example
// networks in charts-out/examples/. They are a separate step: `kubectl apply -f charts-out/` (and a
// GitOps tool pointed at the folder) does not descend into subfolders, so applying the platform
// never meets a BitcoinNetwork before its CRD is established.
import * as path from "node:path";
import { App } from "cdk8s";
import { ClusterChart } from "./cluster-chart";
import { ControllerChart } from "./controller-chart";
import { ExampleNetworksChart } from "./example-networks-chart";
import type { PlatformProps } from "./platform-props";
import { CHART_IDS, EXAMPLES_DIR } from "./defaults";

export function definePlatform(app: App, props: PlatformProps = {}): { cluster: ClusterChart; controller: ControllerChart } {
  return {
    cluster: new ClusterChart(app, CHART_IDS.cluster, props),
    controller: new ControllerChart(app, CHART_IDS.controller, props),
  };
}

export function defineExamples(app: App): ExampleNetworksChart {
  return new ExampleNetworksChart(app, CHART_IDS.examples);
}

/** Two apps, as one App writes all its charts into one folder: the platform into `outdir`
 * (default $CDK8S_OUTDIR, set by `cdk8s synth`), the examples into `outdir`/examples. */
export function defineApps(outdir?: string): App[] {
  const platform = new App({ outdir });
  definePlatform(platform);
  const examples = new App({ outdir: path.join(platform.outdir, EXAMPLES_DIR) });
  defineExamples(examples);
  return [platform, examples];
}
