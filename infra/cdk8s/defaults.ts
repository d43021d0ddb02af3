// Names and defaults shared by the platform constructs, in one place so the charts, the tests and
// the docs agree on them.
import * as fs from "node:fs";
import * as path from "node:path";

/** Where `cdk8s synth` writes (cdk8s.yaml `output`), relative to the project. */
export const CHARTS_DIR = "charts-out";
/** The example networks' folder under CHARTS_DIR: `kubectl apply -f charts-out/` does not descend into it. */
export const EXAMPLES_DIR = "examples";
/** The charts, by construct id: cdk8s writes each to `<id>.k8s.yaml`. */
export const CHART_IDS = { cluster: "regnet-cluster", controller: "regnet-controller", examples: "regnet-examples" } as const;
/** The platform's manifests in CHARTS_DIR, in apply order (the example networks are not part of it). */
export const PLATFORM_FILES = [CHART_IDS.cluster, CHART_IDS.controller].map((id) => `${id}.k8s.yaml`);

/** The namespace the controller runs in (its ServiceAccount, Deployment and leader-election Lease). */
export const DEFAULT_NAMESPACE = "regnet-system";

/** Name of the controller's ServiceAccount, ClusterRole(Binding), Role(Binding) and Deployment. */
export const DEFAULT_CONTROLLER_NAME = "regnet-controller";

/** Repository of the image built from the repo's Dockerfile. */
export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/regnet-dev/regnet-controller";

/** Port of the controller's HTTP server: /healthz, /readyz and /metrics. */
export const CONTROLLER_HTTP_PORT = 8080;

/** uid/gid of the `node` user in the node:22 images the Dockerfile builds on. */
export const CONTROLLER_UID = 1000;

/** The package version, the default image tag: read at synth time so a release bump retags. */
export function packageVersion(): string {
  // This file runs compiled, from dist/infra/cdk8s/: three levels up is the repo root.
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** Labels every platform object carries. */
export function platformLabels(component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": DEFAULT_CONTROLLER_NAME,
    "app.kubernetes.io/part-of": "regnet",
    "app.kubernetes.io/component": component,
  };
}
