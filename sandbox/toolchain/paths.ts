// Where the pinned toolchain lives, and the environment that puts it on PATH.
// Every tool is installed per user, keyed by version, so clones on one machine share it:
//   ${XDG_CACHE_HOME:-~/.cache}/regnet/toolchain/<tool>-<version>/bin
import * as os from "node:os";
import * as path from "node:path";
import versions from "./versions.json";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");

/** Each installed tool and the binaries it provides. Kubernetes is one tool: one build module. */
export const TOOLS = {
  pulumi: { version: versions.pulumi.version, binaries: ["pulumi"] },
  kubernetes: {
    version: versions.kubernetes.version,
    binaries: ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"],
  },
  etcd: { version: versions.etcd.version, binaries: ["etcd"] },
  kwok: { version: versions.kwok.version, binaries: ["kwok", "kwokctl"] },
  btcd: { version: versions.btcd.version, binaries: ["btcd", "btcctl"] },
  // The two below are not served by any registry: `npm run setup` copies them from the prebuilt
  // upstream builds in ../shared/toolchain (PREBUILT below), when that folder is there.
  "bitcoin-core": { version: versions["bitcoin-core"].version, binaries: ["bitcoind", "bitcoin-cli"] },
  "pulumi-language-nodejs": { version: versions["pulumi-language-nodejs"].version, binaries: ["pulumi-language-nodejs"] },
} as const;

export type ToolName = keyof typeof TOOLS;

/** Tools installed from prebuilt upstream builds instead of built with Go: their folder there. */
export const PREBUILT: Partial<Record<ToolName, string>> = {
  "bitcoin-core": `bitcoin-core-${versions["bitcoin-core"].version}`,
  "pulumi-language-nodejs": `pulumi-language-nodejs-${versions["pulumi-language-nodejs"].version}`,
};

/** Where the prebuilt builds are: $REGNET_PREBUILT_DIR, else ../shared/toolchain beside the checkout. */
export function prebuiltRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.REGNET_PREBUILT_DIR || path.resolve(repoRoot, "..", "shared", "toolchain");
}
export type BinaryName = (typeof TOOLS)[ToolName]["binaries"][number];

export const NODE_MAJOR = versions.node.major;

export function toolchainRoot(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "regnet", "toolchain");
}

export function toolDir(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolchainRoot(env), `${tool}-${TOOLS[tool].version}`);
}

export function toolBinDir(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolDir(tool, env), "bin");
}

function toolOf(binary: BinaryName): ToolName {
  for (const [tool, spec] of Object.entries(TOOLS)) {
    if ((spec.binaries as readonly string[]).includes(binary)) return tool as ToolName;
  }
  throw new Error(`unknown toolchain binary "${binary}"`);
}

/** Absolute path of a pinned binary (it exists once `npm run setup` has run). */
export function toolPath(name: BinaryName): string {
  return path.join(toolBinDir(toolOf(name)), name);
}

/** Folder of @pulumi/pulumi, which holds pulumi-resource-pulumi-nodejs (the dynamic provider plugin). */
export function pulumiNodejsPluginDir(): string {
  return path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [repoRoot] }));
}

/**
 * `base` with every tool's bin dir, node_modules/.bin (Node 22) and the Pulumi Node.js plugin
 * folder first on PATH, and Pulumi told not to phone home or fetch plugins.
 */
export function toolchainEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dirs = [
    ...(Object.keys(TOOLS) as ToolName[]).map((t) => toolBinDir(t, base)),
    path.join(repoRoot, "node_modules", ".bin"),
    pulumiNodejsPluginDir(),
  ];
  const rest = (base.PATH ?? "").split(path.delimiter).filter((d) => d && !dirs.includes(d));
  return {
    ...base,
    PATH: [...dirs, ...rest].join(path.delimiter),
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}
