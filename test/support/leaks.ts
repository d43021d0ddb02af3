// What a network leaves behind, in the API and on the host. The sandbox's node runner runs each pod
// as host processes in a network namespace of its own (`<prefix><first 8 hex of the pod UID>`), so a
// trace of the network's pods — their UIDs, namespaces (by inode) and container pids, recorded from
// a watch for as long as the trace runs — tells which processes and namespaces belonged to it. A pod
// that is gone must have left no namespace and no process in it; a live network must have exactly
// its own objects (one StatefulSet, one Service, one pod per node, none terminating) and one node
// process per pod.
import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import * as k8s from "@kubernetes/client-node";
import { GROUP, PLURAL, VERSION } from "../../provider/spec";
import { NODE_CONTAINER } from "../../provider/engine/desired";

/** One pod of the network as the trace saw it. */
interface PodTrace {
  name: string;
  netns: string;
  /** Inode of its network namespace (what /proc/<pid>/ns/net names), once seen. */
  inode?: number;
  /** Every container pid the pod reported (`regnet://<pid>`), with its start time then (pids are reused). */
  pids: Map<number, string | undefined>;
}

/** The pid in a sandbox container ID (`regnet://<pid>`). */
export const pidOf = (containerID: string | undefined): number | undefined => {
  const m = /^regnet:\/\/(\d+)$/.exec(containerID ?? "");
  return m ? Number(m[1]) : undefined;
};

/** The node container's pid in a pod, when it runs. */
export const nodePid = (pod: k8s.V1Pod): number | undefined =>
  pidOf(pod.status?.containerStatuses?.find((c) => c.name === NODE_CONTAINER)?.containerID);

/** A process's start time (clock ticks since boot): with the pid, it names one process for good. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** The very process seen then (same pid, same start time) still runs. */
const stillRuns = (pid: number, started: string | undefined): boolean => started !== undefined && alive(pid) && startTime(pid) === started;

/** Inodes of the network namespaces that have a name now (under /run/netns). */
function namedNetnsInodes(): Set<number> {
  const out = new Set<number>();
  for (const name of fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : []) {
    const ino = netnsInode(name);
    if (ino !== undefined) out.add(ino);
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
}

/**
 * The namespace's inode, once it is one: `ip netns add` creates /run/netns/<name> as an empty file and
 * only then bind-mounts the new namespace onto it, so a file still on /run's own device is not a
 * namespace yet (its inode is the placeholder's, which no process is ever in).
 */
const netnsInode = (netns: string): number | undefined => {
  try {
    const st = fs.statSync(`/run/netns/${netns}`);
    return st.dev === fs.statSync("/run/netns").dev ? undefined : st.ino;
  } catch {
    return undefined;
  }
};

/** Live processes by the network namespace they are in: inode → [pid, comm]. */
function processesByNetns(): Map<number, [number, string][]> {
  const out = new Map<number, [number, string][]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/ns/net`));
      if (!m || !alive(Number(entry))) continue;
      const comm = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      const inode = Number(m[1]);
      out.set(inode, [...(out.get(inode) ?? []), [Number(entry), comm]]);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

/** Kinds the network, the StatefulSet controller, the endpoint controller and the node runner make. */
async function objectsNamed(kc: k8s.KubeConfig, namespace: string, belongs: (name: string) => boolean): Promise<string[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const names = (kind: string, items: k8s.KubernetesObject[]) =>
    items
      .filter((o) => belongs(o.metadata?.name ?? ""))
      .map((o) => `${kind}/${o.metadata!.name}${o.metadata?.deletionTimestamp ? " (terminating)" : ""}`);
  const customList = async (group: string, version: string, plural: string) =>
    (
      (await custom.listNamespacedCustomObject({ group, version, namespace, plural }).catch(() => ({ items: [] }))) as {
        items: k8s.KubernetesObject[];
      }
    ).items;
  const lists = await Promise.all([
    customList(GROUP, VERSION, PLURAL).then((l) => names("bitcoinnetwork", l)),
    apps.listNamespacedStatefulSet({ namespace }).then((l) => names("statefulset", l.items)),
    apps.listNamespacedControllerRevision({ namespace }).then((l) => names("controllerrevision", l.items)),
    core.listNamespacedService({ namespace }).then((l) => names("service", l.items)),
    discovery.listNamespacedEndpointSlice({ namespace }).then((l) => names("endpointslice", l.items)),
    core.listNamespacedSecret({ namespace }).then((l) => names("secret", l.items)),
    core.listNamespacedConfigMap({ namespace }).then((l) => names("configmap", l.items)),
    core.listNamespacedPersistentVolumeClaim({ namespace }).then((l) => names("pvc", l.items)),
    core.listNamespacedPod({ namespace }).then((l) => names("pod", l.items)),
    ...["logs", "execs", "portforwards"].map((p) => customList("kwok.x-k8s.io", "v1alpha1", p).then((l) => names(p, l))),
  ]);
  return lists.flat().sort();
}

export interface Expected {
  /** Nodes the network should have now (0: it should be gone). */
  nodes: number;
  /** Secrets it owns (its RPC Secret; two with a user's own Secret). */
  secrets?: number;
}

/**
 * Traces one network's pods from a watch (restarted when it ends, e.g. across an API server
 * restart) and tells, at the end of a case, what it left that it should not have.
 */
export class NetworkTrace {
  private readonly pods = new Map<string, PodTrace>();
  private request?: { abort(): void };
  private stopped = false;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly namespace: string,
    private readonly network: string,
    private readonly netnsPrefix: string,
  ) {}

  /** Objects of this network: its name, `<name>-…` (pods, Secret, revisions, slices) and `data-<name>-…` (claims). */
  private belongs = (name: string) =>
    name === this.network || name.startsWith(`${this.network}-`) || name.startsWith(`data-${this.network}-`);

  async start(): Promise<this> {
    await this.watch();
    return this;
  }

  private record(pod: k8s.V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const t: PodTrace = this.pods.get(uid) ?? {
      name: pod.metadata!.name!,
      netns: this.netnsPrefix + uid.replace(/-/g, "").slice(0, 8),
      pids: new Map(),
    };
    this.pods.set(uid, t);
    t.inode ??= netnsInode(t.netns);
    for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
      for (const id of [cs.containerID, cs.lastState?.terminated?.containerID]) {
        const pid = pidOf(id);
        if (pid && !t.pids.has(pid)) t.pids.set(pid, startTime(pid));
      }
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const labelSelector = `regnet.dev/network=${this.network}`;
    try {
      const list = await core.listNamespacedPod({ namespace: this.namespace, labelSelector });
      list.items.forEach((p) => this.record(p));
      this.request = await new k8s.Watch(this.kc).watch(
        `/api/v1/namespaces/${this.namespace}/pods`,
        { labelSelector, resourceVersion: list.metadata?.resourceVersion },
        (_type, pod: k8s.V1Pod) => this.record(pod),
        () => void this.rewatch(),
      );
      // Stopped while the watch was being opened: nobody else would end it.
      if (this.stopped) this.request.abort();
    } catch {
      await this.rewatch();
    }
  }

  private async rewatch(): Promise<void> {
    if (this.stopped) return;
    await sleep(500);
    await this.watch();
  }

  /** Also records what the pods say now (a namespace made after the last event). */
  async refresh(): Promise<void> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: this.namespace, labelSelector: `regnet.dev/network=${this.network}` });
    list.items.forEach((p) => this.record(p));
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
  }

  /** Pods seen so far. */
  get seen(): number {
    return this.pods.size;
  }

  /** What is there that should not be: objects, network namespaces, processes. Empty when clean. */
  async leaks(expect: Expected): Promise<string[]> {
    await this.refresh().catch(() => undefined);
    const out: string[] = [];
    const objects = await objectsNamed(this.kc, this.namespace, this.belongs);
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const live = (await core.listNamespacedPod({ namespace: this.namespace, labelSelector: `regnet.dev/network=${this.network}` })).items;
    if (expect.nodes === 0) out.push(...objects.map((o) => `object ${o}`));
    else {
      const count = (kind: string) => objects.filter((o) => o.startsWith(`${kind}/`)).length;
      const want: [string, number][] = [
        ["statefulset", 1],
        ["service", 1],
        ["secret", expect.secrets ?? 1],
        ["pod", expect.nodes],
      ];
      for (const [kind, n] of want) if (count(kind) !== n) out.push(`${count(kind)} ${kind}(s), expected ${n}`);
      out.push(...objects.filter((o) => o.endsWith("(terminating)")).map((o) => `object ${o}`));
      // The runner's per-pod objects must belong to a pod that exists.
      const podNames = new Set(live.map((p) => p.metadata!.name!));
      for (const o of objects.filter((x) => /^(logs|execs|portforwards)\//.test(x)))
        if (!podNames.has(o.split("/")[1])) out.push(`object ${o} of a pod that is gone`);
    }
    const byNetns = processesByNetns();
    const named = namedNetnsInodes();
    const liveUids = new Set(expect.nodes === 0 ? [] : live.map((p) => p.metadata!.uid!));
    const current = new Set(live.flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => pidOf(c.containerID))));
    for (const [uid, t] of this.pods) {
      if (liveUids.has(uid)) {
        // A live pod: the pids it no longer reports are gone, and it runs one node process.
        for (const [pid, started] of t.pids)
          if (!current.has(pid) && stillRuns(pid, started)) out.push(`pod ${t.name}: process ${pid} of an earlier run still alive`);
        const nodes = (byNetns.get(netnsInode(t.netns) ?? -1) ?? []).filter(([, comm]) => comm === "bitcoind" || comm === "btcd");
        if (nodes.length !== 1)
          out.push(`pod ${t.name}: ${nodes.length} node processes in its namespace (${nodes.map(([p]) => p).join(", ")})`);
        continue;
      }
      if (fs.existsSync(`/run/netns/${t.netns}`)) out.push(`network namespace ${t.netns} of gone pod ${t.name} (${uid})`);
      // Namespace inodes are reused once freed: one that names a live namespace now is not the gone pod's.
      if (t.inode !== undefined && !named.has(t.inode))
        for (const [pid, comm] of byNetns.get(t.inode) ?? []) out.push(`process ${pid} (${comm}) in the namespace of gone pod ${t.name}`);
      for (const [pid, started] of t.pids) if (stillRuns(pid, started)) out.push(`process ${pid} of gone pod ${t.name} still alive`);
    }
    return out;
  }

  /**
   * Waits (bounded) until nothing is left over — deletions and terminations take their time — and
   * returns what still is at the deadline.
   */
  async settle(expect: Expected, timeoutMs = 90_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await this.leaks(expect).catch((err: Error) => [`listing failed: ${err.message}`]);
      if (!left.length || Date.now() > deadline) return left;
      await sleep(500);
    }
  }
}
