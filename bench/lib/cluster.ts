// The sandbox as the bench sees it: API clients, a network's pods and their node processes, the
// in-cluster controller's process, and waiting until a network has left nothing behind.
import * as k8s from "@kubernetes/client-node";
import { currentInstance, type SandboxInstance } from "../../sandbox/cluster/instance";
import { alive } from "../../sandbox/cluster/procs";
import { GROUP, PLURAL, VERSION } from "../../provider/spec";
import { CONTROLLER_NAMESPACE, loadKubeConfig } from "../harness";
import { podProcesses, rssMiB } from "./procs";
import { setTimeout as sleep } from "node:timers/promises";

const NODE_PROGRAMS = ["btcd", "bitcoind"];

export interface Sandbox {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  custom: k8s.CustomObjectsApi;
  inst: SandboxInstance;
}

export function sandbox(): Sandbox {
  const kc = loadKubeConfig();
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    inst: currentInstance(),
  };
}

export async function networkPods(sb: Sandbox, namespace: string, name: string): Promise<k8s.V1Pod[]> {
  return (await sb.core.listNamespacedPod({ namespace, labelSelector: `regnet.dev/network=${name}` })).items;
}

/** The node processes (btcd / bitcoind) of a network's pods. */
export function nodePids(sb: Sandbox, pods: k8s.V1Pod[]): number[] {
  return pods.flatMap((p) => podProcesses(sb.inst, p.metadata!.uid!, NODE_PROGRAMS));
}

/** Mean RSS of the given processes, MiB. */
export function meanRss(pids: number[]): number | undefined {
  const xs = pids.map(rssMiB).filter((x): x is number => x !== undefined);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}

/** The in-cluster controller's Node process (run by the sandbox's node runner in the pod's namespace). */
export async function controllerPid(sb: Sandbox): Promise<number | undefined> {
  const pods = await sb.core.listNamespacedPod({
    namespace: CONTROLLER_NAMESPACE,
    labelSelector: "app.kubernetes.io/name=regnet-controller",
  });
  const running = pods.items.filter((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp);
  for (const p of running) {
    const [pid] = podProcesses(sb.inst, p.metadata!.uid!, ["node", "regnet-controller", "MainThread"]);
    if (pid) return pid;
  }
  return undefined;
}

/**
 * Waits until the network `name` has left nothing: no BitcoinNetwork (when `cr`), StatefulSet,
 * Service, Secret or pod with its label, and none of `pids` alive. Returns when that was first seen.
 */
export async function untilGone(
  sb: Sandbox,
  namespace: string,
  name: string,
  pids: number[],
  cr: boolean,
  timeoutMs = 300_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const labelSelector = `regnet.dev/network=${name}`;
  for (;;) {
    const left: string[] = [];
    if (pids.some(alive)) left.push(`${pids.filter(alive).length} node processes`);
    if (!left.length) {
      const [sts, svc, sec, pods] = await Promise.all([
        sb.apps.listNamespacedStatefulSet({ namespace, labelSelector }),
        sb.core.listNamespacedService({ namespace, labelSelector }),
        sb.core.listNamespacedSecret({ namespace, labelSelector }),
        sb.core.listNamespacedPod({ namespace, labelSelector }),
      ]);
      for (const [what, list] of [
        ["StatefulSet", sts],
        ["Service", svc],
        ["Secret", sec],
        ["pod", pods],
      ] as const)
        if (list.items.length) left.push(`${list.items.length} ${what}`);
      if (cr) {
        const obj: unknown = await sb.custom
          .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })
          .catch(() => undefined);
        if (obj) left.push("the BitcoinNetwork");
      }
    }
    if (!left.length) return Date.now();
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} not gone after ${timeoutMs / 1000} s: ${left.join(", ")}`);
    await sleep(100);
  }
}
