// Opt-in (`regnet:installPlatform: true`): apply the cdk8s platform (CRD, RBAC, controller Deployment,
// synthesized into charts-out/) through an explicit Kubernetes provider, so the in-cluster controller
// can serve BitcoinNetwork custom resources next to the Pulumi-managed networks. This needs the
// pulumi-resource-kubernetes plugin, which a normal Pulumi install fetches on demand; off by default
// (the networks themselves need no plugin), and tested with Pulumi's mocks.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PLATFORM_FILES } from "../cdk8s/defaults";

export interface PlatformArgs {
  chartsDir: string;
  /** Kubeconfig path or contents (as for the k8s.Provider's `kubeconfig`); default: the ambient one. */
  kubeconfig?: pulumi.Input<string>;
}

export function installPlatform(args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
  const files = PLATFORM_FILES.map((f) => path.join(args.chartsDir, f));
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new Error(`regnet:installPlatform needs the synthesized platform: ${missing.join(", ")} missing; run \`npm run synth\``);
  }
  const provider = new k8s.Provider("regnet-platform", { kubeconfig: args.kubeconfig }, opts);
  const platform = new k8s.yaml.v2.ConfigGroup("regnet-platform", { files }, { ...opts, provider });
  return { provider, platform };
}
