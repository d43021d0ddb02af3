// What the controller benchmark and the controller e2e tests share: kubectl with the pinned
// toolchain, the platform from charts-out/, BitcoinNetwork objects, and a controller run as a
// local process (`--kubeconfig`) when the in-cluster one is not wanted.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import * as k8s from "@kubernetes/client-node";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type BitcoinNetworkSpecInput } from "../provider/spec";
import { currentInstance } from "../sandbox/cluster/instance";
import { repoRoot, toolchainEnv, toolPath } from "../sandbox/toolchain/paths";
import { CHARTS_DIR, DEFAULT_CONTROLLER_NAME, DEFAULT_NAMESPACE, PLATFORM_FILES } from "../infra/cdk8s/defaults";

const sandboxKubeconfig = currentInstance().kubeconfig;
export const kubeconfigPath = () => process.env.KUBECONFIG ?? sandboxKubeconfig;
export const CONTROLLER_NAMESPACE = DEFAULT_NAMESPACE;
export const CONTROLLER_NAME = DEFAULT_CONTROLLER_NAME;
/** The platform's manifests (CRD, RBAC, Deployment); the examples chart is left out. */
const PLATFORM_PATHS = PLATFORM_FILES.map((f) => path.join(repoRoot, CHARTS_DIR, f));

export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

/** Runs the pinned kubectl against the sandbox; rejects with its stderr. */
export function kubectl(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      toolPath("kubectl"),
      args,
      { env: { ...toolchainEnv(), KUBECONFIG: kubeconfigPath() }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr.trim() || err.message}`)) : resolve(stdout)),
    );
  });
}

/**
 * `kubectl apply --server-side` of the platform: idempotent, and takes fields back (e.g. replicas).
 * `controller: false` applies the cluster-wide part only (CRD, ClusterRoles), not the Deployment.
 */
export async function applyPlatform({ controller = true } = {}): Promise<void> {
  const files = controller ? PLATFORM_PATHS : PLATFORM_PATHS.slice(0, 1);
  await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=regnet-e2e", ...files.flatMap((f) => ["-f", f])]);
  await kubectl(["wait", "--for=condition=Established", "--timeout=60s", `crd/${PLURAL}.${GROUP}`]);
}

function networkObject(name: string, namespace: string, spec: BitcoinNetworkSpecInput): k8s.KubernetesObject & { spec: unknown } {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
}

export async function createNetwork(kc: k8s.KubeConfig, name: string, namespace: string, spec: BitcoinNetworkSpecInput): Promise<void> {
  await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    body: networkObject(name, namespace, spec),
  });
}

export interface NetworkCR extends k8s.KubernetesObject {
  spec: { nodes?: number } & Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    readyNodes?: number;
    wired?: boolean;
    synced?: boolean;
    height?: number;
    nodes?: { ordinal: number; pod: string; ip?: string; ready: boolean; peers: number; expectedPeers: number; height?: number }[];
    conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[];
  };
}

export async function getNetwork(kc: k8s.KubeConfig, name: string, namespace: string): Promise<NetworkCR> {
  return (await kc
    .makeApiClient(k8s.CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as NetworkCR;
}

/** Merge-patches `.spec` (e.g. `{nodes: 3}`); returns the new generation. */
export async function patchNetworkSpec(
  kc: k8s.KubeConfig,
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
): Promise<number> {
  const out = (await kc
    .makeApiClient(k8s.CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { spec } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    )) as NetworkCR;
  return out.metadata!.generation!;
}

/** True when status describes the current generation with Ready, Wired and Synced all True. */
export function settled(n: NetworkCR): boolean {
  const gen = n.metadata?.generation;
  const cond = (t: string) => n.status?.conditions?.find((c) => c.type === t);
  return (
    n.status?.observedGeneration === gen &&
    ["Ready", "Wired", "Synced"].every((t) => cond(t)?.status === "True" && (cond(t)?.observedGeneration ?? gen) === gen)
  );
}

export interface LocalController {
  proc: ChildProcess;
  port: number;
  /** Log lines (JSON) seen so far. */
  logs: Record<string, unknown>[];
  metrics(): Promise<string>;
  /** SIGTERM, then wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts `node dist/provider/controller/main.js --kubeconfig ...` and waits for its HTTP port. */
export async function startLocalController(
  extraArgs: string[],
  { onLog }: { onLog?: (line: Record<string, unknown>) => void } = {},
): Promise<LocalController> {
  const main = path.join(repoRoot, "dist", "provider", "controller", "main.js");
  const proc = spawn(
    process.execPath,
    [main, "--kubeconfig", kubeconfigPath(), "--http-port", "0", "--http-host", "127.0.0.1", ...extraArgs],
    {
      env: { ...toolchainEnv(), REGNET_LOG_LEVEL: process.env.REGNET_LOG_LEVEL ?? "info" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    readline.createInterface({ input: proc.stdout }).on("line", (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(rec);
      onLog?.(rec);
      if (typeof rec.port === "number" && String(rec.msg).startsWith("serving")) resolve(rec.port);
    });
    void exited.then((code) => reject(new Error(`controller exited (${code}) before serving: ${stderr}`)));
  });
  return {
    proc,
    port,
    logs,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** The value of one sample in Prometheus text, e.g. metric(text, 'regnet_controller_reconciles_total{result="success"}'). */
export function metricValue(text: string, sample: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
