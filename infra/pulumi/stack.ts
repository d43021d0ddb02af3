// The regnet stack program, as a function: `Pulumi.yaml` (main: infra/pulumi/main.ts) runs it for
// `pulumi up` with a normal Pulumi install, and the demo and tests run the very same function inline
// through the Automation API. Config (namespace `regnet`):
//   networks        list of specs, each with a `name` (required): [{name: alpha, nodes: 3, implementation: btcd}]
//   namespace       where the networks go unless a network names its own (default "default")
//   kubeconfigPath  a kubeconfig file (relative to the project directory, kept as written), or
//   kubeconfig      kubeconfig contents, set with `pulumi config set --secret regnet:kubeconfig` (a
//                   plaintext one is refused: it would be stored unencrypted)
//                   (neither: $REGNET_KUBECONFIG, $KUBECONFIG, ~/.kube/config, read by the provider)
//   convergeTimeoutSeconds  how long `up` waits per network (default 600)
//   installPlatform apply charts-out/ (CRD, RBAC, controller) too; needs the kubernetes plugin (default false)
// Pulumi.yaml declares them (types, defaults, descriptions), so the CLI checks them first.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BitcoinNetwork, type BitcoinNetworkSpecArgs } from "../../provider/pulumi";
import { installPlatform } from "./platform";
import { CHARTS_DIR } from "../cdk8s/defaults";

export type NetworkConfig = BitcoinNetworkSpecArgs & { name: string; namespace?: string };

const PROJECT = "regnet";
/** Whether a config key was set as a secret: the SDK knows (its config keeps the secret keys) but
 * exports no typed accessor. */
const isConfigSecret = (key: string): boolean => (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key);

/** `projectDir`: the folder of Pulumi.yaml, which relative paths in config (kubeconfigPath) and
 * charts-out/ are taken from; not the working directory, which the Node language host sets to the
 * program's folder (infra/pulumi/). */
export function regnetStack(projectDir: string) {
  const config = new pulumi.Config(PROJECT);
  const networks = config.requireObject<NetworkConfig[]>("networks");
  if (!Array.isArray(networks)) {
    throw new Error("regnet:networks must be a list of network specs, e.g. [{name: alpha, nodes: 3, implementation: btcd}]");
  }
  // Pulumi.yaml's defaults make an unset key "": both mean "not given".
  const namespace = config.get("namespace") || "default";
  const kubeconfigPath = config.get("kubeconfigPath") || undefined;
  if (config.get("kubeconfig") && !isConfigSecret(`${PROJECT}:kubeconfig`)) {
    throw new Error(
      "regnet:kubeconfig holds credentials and is not a secret, so it would be stored in plaintext: set it with " +
        '`pulumi config set --secret regnet:kubeconfig "$(cat <kubeconfig file>)"`, or name the file with regnet:kubeconfigPath',
    );
  }
  const kubeconfig = config.get("kubeconfig") ? config.getSecret("kubeconfig") : undefined;
  const convergeTimeoutSeconds = config.getNumber("convergeTimeoutSeconds");

  let platform: ReturnType<typeof installPlatform> | undefined;
  if (config.getBoolean("installPlatform")) {
    const kubeconfigFile = kubeconfigPath && path.resolve(projectDir, kubeconfigPath);
    platform = installPlatform({ chartsDir: path.join(projectDir, CHARTS_DIR), kubeconfig: kubeconfig ?? kubeconfigFile });
  }

  const seen = new Set<string>();
  const outputs: Record<string, pulumi.Output<unknown>> = {};
  networks.forEach((entry, i) => {
    const { name, namespace: ownNamespace, ...spec } = entry ?? ({} as NetworkConfig);
    if (typeof name !== "string" || !name) throw new Error(`regnet:networks[${i}] needs a name, e.g. {name: alpha, nodes: 3}`);
    if (seen.has(name)) throw new Error(`regnet:networks[${i}]: the name "${name}" is used twice; give each network its own name`);
    seen.add(name);
    const net = new BitcoinNetwork(
      name,
      { namespace: ownNamespace ?? namespace, spec, kubeconfigPath, kubeconfig, convergeTimeoutSeconds },
      platform ? { dependsOn: [platform.platform] } : undefined,
    );
    outputs[name] = pulumi.output({
      namespace: net.namespace,
      nodes: net.nodes,
      readyNodes: net.readyNodes,
      wired: net.wired,
      synced: net.synced,
      height: net.height,
      rpcSecretName: net.rpcSecretName,
      selector: net.selector,
    });
  });
  return { networks: outputs };
}
