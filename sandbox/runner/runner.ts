// The node runner: watches the sandbox's pods through a client-node informer and runs every pod
// bound to a (KWOK) node as host processes, one PodWorker per pod UID. KWOK keeps the nodes'
// heartbeats; kwok.yaml tells it to leave pods alone, so their status and deletion are ours.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../../provider/log";
import { shareInFlight, type RefReader } from "./env";
import { hostLookup, isExecutable, PROFILES } from "./images";
import { ensureKwokCrds, KubeletObjects } from "./kubelet-objects";
import { PooledKubeConfig } from "./kubeconfig";
import { AddressPool, bridgeExists, deletePodNetwork, listPodNetns, NET, netnsName, netnsPids } from "./netns";
import { metrics } from "./metrics";
import { PodWorker } from "./pod";
import { LocalProvisioner } from "./provisioner";
import { restartUntilUp } from "./watch";
import { MountPoints } from "./volumes";

export interface RunnerOptions {
  kubeconfig: string;
  stateDir: string;
  log: Logger;
}

/**
 * Programs `kubectl exec` can run inside a pod: each gets a wrapper on KWOK's PATH. The images'
 * own programs and every program on the runner's PATH (a name without a wrapper would run on the
 * host instead of in the pod).
 */
export function execPrograms(pathValue: string | undefined, shimDir: string): string[] {
  const names = new Set(PROFILES.flatMap((p) => Object.keys(p.programs)));
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir || path.resolve(dir) === path.resolve(shimDir)) continue;
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of entries) if (/^[A-Za-z0-9._+-]+$/.test(name) && isExecutable(path.join(dir, name))) names.add(name);
  }
  return [...names].sort();
}

/** Where the exec wrappers live: kwok-controller's PATH must start with this folder. */
export function execShimDir(stateDir: string): string {
  return path.join(path.resolve(stateDir), "exec-shim");
}

export class Runner {
  private readonly workers = new Map<string, PodWorker>();
  private informer?: k8s.Informer<k8s.V1Pod>;
  private readonly kc = new PooledKubeConfig();
  private readonly core: k8s.CoreV1Api;
  private readonly mountPoints: MountPoints;
  private stopping = false;
  private provisioner?: LocalProvisioner;
  private stopMetrics?: () => void;

  constructor(private readonly opts: RunnerOptions) {
    this.kc.loadFromFile(opts.kubeconfig);
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.mountPoints = new MountPoints(path.join(opts.stateDir, "mount-points.json"));
  }

  async start(): Promise<void> {
    const { log, stateDir } = this.opts;
    if (!(await bridgeExists())) {
      throw new Error(`bridge ${NET.bridge} does not exist: the sandbox makes it (npm run sandbox -- up) before starting the runner`);
    }
    fs.mkdirSync(path.join(stateDir, "pods"), { recursive: true });
    await this.removeLeftovers();
    this.mountPoints.sweep();
    this.writeExecShims();
    this.stopMetrics = metrics.report(log);

    // Pods reach the API server at the bridge address (the sandbox says so, or the kubeconfig's port).
    const server = new URL(this.kc.getCurrentCluster()!.server);
    const apiserverPort = process.env.REGNET_APISERVER_PORT || server.port || "443";
    const refs = this.refReader();
    const ctx = {
      core: this.core,
      log,
      stateDir,
      pool: new AddressPool(NET.gateway),
      mountPoints: this.mountPoints,
      lookup: hostLookup(),
      refs,
      kubeletObjects: new KubeletObjects(this.kc.makeApiClient(k8s.CustomObjectsApi), path.join(__dirname, "port-forward-shim.js")),
      hostIP: process.env.REGNET_APISERVER_HOST || NET.gateway,
      apiserverPort,
      hostPath: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    };

    const listFn = () => this.core.listPodForAllNamespaces({ fieldSelector: "spec.nodeName!=" });
    const informer = new k8s.ListWatch<k8s.V1Pod>("/api/v1/pods", new k8s.Watch(this.kc), listFn, false, undefined, "spec.nodeName!=");
    this.informer = informer;
    const onPod = (pod: k8s.V1Pod): void => {
      if (this.stopping) return;
      const uid = pod.metadata!.uid!;
      const w = this.workers.get(uid);
      if (w) return w.update(pod);
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") {
        if (!pod.metadata?.deletionTimestamp) return;
      }
      const worker = new PodWorker(pod, ctx);
      this.workers.set(uid, worker);
      if (pod.metadata?.deletionTimestamp) {
        // Being deleted while no runner ran (or finished): nothing runs; complete the deletion, tidy up.
        void worker.terminate(0, { deleted: true, finalize: true }).finally(() => this.workers.delete(uid));
        return;
      }
      worker.start().catch((err) => {
        log.error({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, error: String(err) }, "pod failed to start");
      });
    };
    informer.on(k8s.ADD, onPod);
    informer.on(k8s.UPDATE, onPod);
    informer.on(k8s.DELETE, (pod) => {
      const uid = pod.metadata!.uid!;
      const w = this.workers.get(uid);
      if (!w) return;
      this.workers.delete(uid);
      void w.terminate(0, { deleted: true, finalize: false });
    });
    informer.on(k8s.ERROR, (err) => {
      log.warn({ error: String(err) }, "pod watch failed; restarting");
      restartUntilUp(informer, () => this.stopping, log);
    });
    this.provisioner = new LocalProvisioner(this.kc, this.core, path.join(stateDir, "volumes"), log);
    await this.provisioner.start();
    const madeCrds = await ensureKwokCrds(this.kc.makeApiClient(k8s.ApiextensionsV1Api));
    if (madeCrds.length) log.info({ crds: madeCrds }, "made KWOK CRDs for kubectl logs/exec/port-forward");
    await informer.start();
    this.pruneStateOf(new Set(informer.list().map((p) => p.metadata!.uid!)));
    log.info({ stateDir, apiserverPort, bridge: NET.bridge, gateway: NET.gateway }, "node runner watching pods");
  }

  /** Stops every pod's processes and removes their namespaces (the pods stay in the API). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopMetrics?.();
    await this.informer?.stop();
    await this.provisioner?.stop();
    await Promise.all(
      [...this.workers.values()].map((w) =>
        w.terminate(10, { deleted: false, finalize: false }).catch((err) => this.opts.log.warn({ error: String(err) }, "stop failed")),
      ),
    );
    this.workers.clear();
    this.mountPoints.releaseAll();
    this.opts.log.info("node runner stopped");
  }

  /**
   * Namespaces (and their processes) that a previous run of this runner (same state dir) left
   * when it was killed; another sandbox's pods on this machine are not touched. The pods' files
   * stay: a pod that still exists gets its volumes (emptyDir data) back.
   */
  private async removeLeftovers(): Promise<void> {
    const podsDir = path.join(this.opts.stateDir, "pods");
    const existing = new Set(await listPodNetns());
    for (const d of fs.readdirSync(podsDir)) {
      const uid = d.split("_").pop()!;
      const ns = netnsName(uid);
      if (!existing.has(ns)) continue;
      for (const pid of await netnsPids(ns)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await deletePodNetwork(uid);
      this.opts.log.info({ netns: ns }, "removed leftover pod namespace");
    }
  }

  /** Files of pods that no longer exist (deleted while no runner was running). */
  private pruneStateOf(live: Set<string>): void {
    const podsDir = path.join(this.opts.stateDir, "pods");
    for (const d of fs.readdirSync(podsDir)) {
      if (!live.has(d.split("_").pop()!)) fs.rmSync(path.join(podsDir, d), { recursive: true, force: true });
    }
  }

  private writeExecShims(): void {
    const dir = execShimDir(this.opts.stateDir);
    fs.mkdirSync(dir, { recursive: true });
    const script = path.join(__dirname, "exec-shim.js");
    for (const name of execPrograms(process.env.PATH, dir)) {
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nexec '${process.execPath}' '${script}' '${dir}' '${name}' "$@"\n`, {
        mode: 0o755,
      });
    }
  }

  private refReader(): RefReader {
    const decode = (data: Record<string, string> | undefined): Record<string, string> =>
      Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
    const notFound = (err: unknown): undefined => {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    };
    // Pods that start together (a StatefulSet's) read the same Secret: one GET serves them all.
    return {
      secret: shareInFlight((namespace, name) =>
        metrics
          .time("read secret", () => this.core.readNamespacedSecret({ name, namespace }))
          .then((s) => decode(s.data))
          .catch(notFound),
      ),
      configMap: shareInFlight((namespace, name) =>
        metrics
          .time("read configmap", () => this.core.readNamespacedConfigMap({ name, namespace }))
          .then((c) => ({ ...(c.data ?? {}), ...decode(c.binaryData) }))
          .catch(notFound),
      ),
    };
  }
}
