// The control plane through kwokctl's binary runtime with our pinned binaries: etcd, kube-apiserver
// (RBAC, service-account signing), kube-controller-manager (all default controllers: garbage
// collector, StatefulSet, service-account token...), kube-scheduler and kwok-controller.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { repoRoot, toolPath, toolchainEnv } from "../toolchain/paths";
import type { ControlPlanePorts, SandboxInstance } from "./instance";
import { readPid } from "./procs";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"] as const;

/** Written by the node runner's owner: KWOK CRs for per-pod Exec/Logs/PortForward and the status it leaves alone. */
export const RUNNER_KWOK_CONFIG = path.join(repoRoot, "sandbox", "runner", "kwok.yaml");

export const clusterDir = (inst: SandboxInstance) => path.join(inst.kwokWorkdir, "clusters", inst.clusterName);
export const kwokctlConfigFile = (inst: SandboxInstance) => path.join(inst.dir, "kwokctl.yaml");

function kwokEnv(inst: SandboxInstance): NodeJS.ProcessEnv {
  // kwokctl adds and removes its `kwok-<cluster>` entries in $KUBECONFIG: give it a file of its own,
  // so a sandbox going down never edits the caller's kubeconfig (another sandbox's, or the user's).
  return { ...toolchainEnv(), KWOK_WORKDIR: inst.kwokWorkdir, KUBECONFIG: path.join(inst.kwokWorkdir, "kwokctl.kubeconfig") };
}

/**
 * Every component listens on loopback, except the API server: pods reach it at the bridge address
 * (KUBERNETES_SERVICE_HOST), and the other components at 127.0.0.1, so it binds both (0.0.0.0) and
 * advertises the bridge address, which its certificate also names.
 */
export function kwokctlConfig(inst: SandboxInstance, kwokControllerEnv: Record<string, string>): string {
  const docs: object[] = [
    {
      apiVersion: "config.kwok.x-k8s.io/v1alpha1",
      kind: "KwokctlConfiguration",
      options: {
        runtime: "binary",
        bindAddress: "127.0.0.1",
        kubeApiserverCertSANs: [inst.gateway],
        kubeAuthorization: true,
        kubeAdmission: true,
        etcdBinary: toolPath("etcd"),
        kubeApiserverBinary: toolPath("kube-apiserver"),
        kubeControllerManagerBinary: toolPath("kube-controller-manager"),
        kubeSchedulerBinary: toolPath("kube-scheduler"),
        kubectlBinary: toolPath("kubectl"),
        kwokControllerBinary: toolPath("kwok"),
        ...inst.ports,
      },
      componentsPatches: [
        {
          name: "kube-apiserver",
          extraArgs: [
            { key: "bind-address", value: "0.0.0.0", override: true },
            { key: "advertise-address", value: inst.gateway },
          ],
        },
        ...(Object.keys(kwokControllerEnv).length
          ? [{ name: "kwok-controller", extraEnvs: Object.entries(kwokControllerEnv).map(([name, value]) => ({ name, value })) }]
          : []),
      ],
    },
  ];
  return docs.map((d) => stringify(d)).join("---\n");
}

export interface KwokctlResult {
  code: number;
  output: string;
}

/** Runs kwokctl for this sandbox; its output goes to `<dir>/kwokctl.log` and is returned. */
export function kwokctl(inst: SandboxInstance, args: string[], env = kwokEnv(inst)): Promise<KwokctlResult> {
  const log = path.join(inst.dir, "kwokctl.log");
  fs.appendFileSync(log, `\n$ kwokctl --name ${inst.clusterName} ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    // kwokctl probes for what is free for any port the configuration leaves unset: one kwokctl at a
    // time on this machine. `-o`: the daemons kwokctl starts must not inherit (and so hold) the lock.
    const child = spawn("flock", ["-o", "/tmp/regnet-kwokctl.lock", toolPath("kwokctl"), "--name", inst.clusterName, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (d: Buffer) => {
      output += d.toString();
      fs.appendFileSync(log, d);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The pid kwokctl recorded for each component (undefined when not started). */
export function componentPids(inst: SandboxInstance): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = {};
  for (const c of COMPONENTS) pids[c] = readPid(path.join(clusterDir(inst), "pids", `${c}.pid`));
  return pids;
}

/** The component that listens on each of the slot's ports, by kwokctl's option name. */
const PORT_OWNERS: Record<keyof ControlPlanePorts, string> = {
  kubeApiserverPort: "kube-apiserver",
  etcdPort: "etcd",
  etcdPeerPort: "etcd-peer",
  kwokControllerPort: "kwok-controller",
  kubeControllerManagerPort: "kube-controller-manager",
  kubeSchedulerPort: "kube-scheduler",
};

/** The ports a kwokctl configuration gives its components, by component. */
export function portsInConfig(text: string): Record<string, number> {
  const config = parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string; options?: Record<string, unknown> } | null)
    .find((d) => d?.kind === "KwokctlConfiguration");
  const ports: Record<string, number> = {};
  for (const [key, name] of Object.entries(PORT_OWNERS)) {
    const port = config?.options?.[key];
    if (typeof port === "number" && port > 0) ports[name] = port;
  }
  return ports;
}

/**
 * Ports of the components, from the configuration kwokctl saved for the cluster: the running
 * cluster's own record, which `down` checks even for a cluster made before the slot fixed them.
 */
export function componentPorts(inst: SandboxInstance): Record<string, number> {
  try {
    return portsInConfig(fs.readFileSync(path.join(clusterDir(inst), "kwok.yaml"), "utf8"));
  } catch {
    return {}; // no cluster
  }
}
