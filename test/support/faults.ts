// What the faults battery (test/e2e/faults.test.ts) does to clusters and nodes, and how it checks a
// network with the nodes' own word: a sandbox instance of its own (own API server, controller from
// charts-out, no other test's networks), an API server killed and started again, a pod's link cut,
// the `pulumi up` CLI found and interrupted, and every node asked over RPC for its peers and tip.
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { MINING_ADDRESS, readCredentials } from "../../provider/engine/desired";
import { P2P_PORT } from "../../provider/spec/constants";
import { desiredEdges, expectedPeers } from "../../provider/engine/wiring/topology";
import { RpcClient, type RpcCredentials } from "../../provider/rpc";
import type { NodeOps } from "../../provider/rpc/dialect";
import type { Implementation, Topology } from "../../provider/spec";
import { componentPids, kwokctl } from "../../sandbox/cluster/kwok";
import { currentInstance, type SandboxInstance } from "../../sandbox/cluster/instance";
import { alive } from "../../sandbox/cluster/procs";
import { repoRoot, toolPath, toolchainEnv } from "../../sandbox/toolchain/paths";
import { waitFor } from "./cluster";

const run = promisify(execFile);

/** A node's P2P address (what addnode and getpeerinfo name). */
const p2p = (ip: string) => `${ip}:${P2P_PORT}`;

/** A sandbox instance of the battery's own: its state in a temp dir, its own slot, bridge and API server. */
export class SideSandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-faults-"));
  readonly env: NodeJS.ProcessEnv;

  constructor(label: string) {
    // KUBECONFIG names this instance's own file: kwokctl edits $KUBECONFIG, and the caller's is the suite's sandbox.
    this.env = {
      ...process.env,
      REGNET_SANDBOX: `${label}-${process.pid}`,
      REGNET_SANDBOX_DIR: this.dir,
      KUBECONFIG: path.join(this.dir, "kubeconfig"),
    };
  }

  get instance(): SandboxInstance {
    return currentInstance(this.env);
  }

  kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(this.instance.kubeconfig);
    return kc;
  }

  /** `sandbox up|down` for this instance, without blocking this process (other cases run meanwhile). */
  async sandbox(cmd: "up" | "down"): Promise<void> {
    const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(repoRoot, "dist", "sandbox", "cli.js"), cmd], { env: this.env });
      let text = "";
      child.stdout.on("data", (d) => (text += d));
      child.stderr.on("data", (d) => (text += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, text }));
    });
    if (out.code !== 0) throw new Error(`sandbox ${cmd} (${this.env.REGNET_SANDBOX}) exited ${out.code}:\n${out.text}`);
  }

  async kubectl(args: string[], timeoutMs = 120_000): Promise<string> {
    const { stdout } = await run(toolPath("kubectl"), ["--kubeconfig", this.instance.kubeconfig, ...args], {
      cwd: repoRoot,
      env: toolchainEnv(),
      timeout: timeoutMs,
      maxBuffer: 16 << 20,
    });
    return stdout;
  }

  /** The README's Kubernetes-native install, as a user runs it: the platform from charts-out/, its controller running. */
  async installPlatform(): Promise<void> {
    await this.kubectl(["apply", "-f", "charts-out/"]);
    await this.kubectl(["wait", "--for", "condition=established", "crd/bitcoinnetworks.regnet.dev", "--timeout=60s"]);
    await this.kubectl(["rollout", "status", "deployment/regnet-controller", "-n", "regnet-system", "--timeout=180s"], 200_000);
  }

  private supervisor?: NodeJS.Timeout;
  /** The supervisor's `kwokctl start cluster` in flight: awaited before the instance goes down. */
  private starting?: Promise<void>;
  /** Components the supervisor started again, with when (and any start that failed). */
  readonly restarted: string[] = [];

  /**
   * Starts, every 2 s, whatever control-plane component is not running (kwokctl starts only those),
   * as a kubelet restarts its static pods: the controller manager and the scheduler exit when they
   * cannot renew their leases, which an API server outage of ~10 s makes them do, possibly well
   * after the API server is back.
   */
  private supervise(): void {
    if (this.supervisor) return;
    this.supervisor = setInterval(() => {
      if (this.starting) return;
      const dead = Object.entries(componentPids(this.instance))
        .filter(([, pid]) => !alive(pid))
        .map(([name]) => name);
      if (!dead.length) return;
      this.restarted.push(`${new Date().toISOString()} ${dead.join(", ")}`);
      // A failed start is recorded, not thrown: nobody awaits this interval's work (an unhandled rejection).
      this.starting = kwokctl(this.instance, ["start", "cluster"])
        .then(
          () => undefined,
          (err: Error) => void this.restarted.push(`${new Date().toISOString()} start failed: ${err.message.split("\n")[0]}`),
        )
        .finally(() => (this.starting = undefined));
    }, 2000);
  }

  /**
   * The API server killed (as a crash would) and, after `downMs`, started again through kwokctl,
   * which starts whatever component of the cluster is not running; from then on the control plane is
   * supervised (see supervise). Resolves once every component runs and the API server answers.
   */
  async restartApiServer(downMs: number): Promise<{ downFor: number }> {
    const inst = this.instance;
    const pid = componentPids(inst)["kube-apiserver"];
    if (!pid || !alive(pid)) throw new Error("the kube-apiserver is not running");
    const t0 = Date.now();
    process.kill(pid, "SIGKILL");
    await waitFor(`kube-apiserver ${pid} gone`, async () => !alive(pid), { timeoutMs: 10_000, intervalMs: 100 });
    await sleep(downMs);
    this.supervise();
    await waitFor(
      "every control-plane component running and the API server answering",
      async () => {
        await this.kubeConfig().makeApiClient(k8s.VersionApi).getCode();
        return Object.values(componentPids(inst)).every(alive);
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    return { downFor: Date.now() - t0 };
  }

  async remove(): Promise<void> {
    clearInterval(this.supervisor);
    await this.starting;
    if (fs.existsSync(path.join(this.dir, "instance.json"))) await this.sandbox("down").catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The network namespace the node runner made for a pod. */
export const netnsOf = (pod: k8s.V1Pod, netnsPrefix: string): string => netnsPrefix + pod.metadata!.uid!.replace(/-/g, "").slice(0, 8);

/** Cuts (or restores) a pod's only link: its eth0, inside its network namespace. */
export async function setLink(netns: string, up: boolean): Promise<void> {
  await run("ip", ["-n", netns, "link", "set", "eth0", up ? "up" : "down"]);
}

/** Children of process `parent` whose command line has all of `needles` (the `pulumi up` the Automation API ran). */
export function childrenRunning(parent: number, ...needles: string[]): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (ppid === parent && needles.every((n) => cmd.includes(n))) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

export interface LiveNode {
  ordinal: number;
  pod: string;
  ip: string;
  ops: NodeOps;
}

/**
 * Mines on `node` until its tip is at `height` or more; returns its height then. A generate that
 * times out on a loaded machine (seen in CI at load 20) may still have mined: the tip says how many
 * to ask for again, so a late block can overshoot, never fall short.
 */
export function mineAtLeast(node: LiveNode, height: number): Promise<number> {
  return waitFor(
    `${node.pod} at height ${height} or more`,
    async () => {
      const now = (await node.ops.tip()).height;
      if (now >= height) return now;
      await node.ops.mine(height - now, MINING_ADDRESS);
      return undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

/**
 * A network seen through its nodes' own RPC (not regnet's status): who is connected to whom and
 * which block each is on. Works for any cluster whose pod IPs the host reaches (the sandboxes).
 */
export class NodesView {
  private readonly rpc: RpcClient;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly namespace: string,
    private readonly network: string,
    private readonly implementation: Implementation,
  ) {
    this.rpc = new RpcClient({ kubeConfig: kc, access: "direct", timeoutMs: 5000, attempts: 1 });
  }

  /** The network's Ready pods with an IP, and their RPC. */
  async nodes(): Promise<LiveNode[]> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const [pods, secret] = await Promise.all([
      core.listNamespacedPod({ namespace: this.namespace, labelSelector: `regnet.dev/network=${this.network}` }),
      core.readNamespacedSecret({ namespace: this.namespace, name: `${this.network}-rpc` }),
    ]);
    const creds: RpcCredentials = readCredentials(secret)!;
    return pods.items
      .filter((p) => p.status?.podIP && !p.metadata?.deletionTimestamp)
      .filter((p) => p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True"))
      .map((p) => {
        const pod = p.metadata!.name!;
        const ip = p.status!.podIP!;
        const ordinal = Number(pod.slice(this.network.length + 1));
        return { ordinal, pod, ip, ops: this.rpc.node({ namespace: this.namespace, pod, ip, implementation: this.implementation }, creds) };
      })
      .sort((a, b) => a.ordinal - b.ordinal);
  }

  /**
   * What keeps the network from being whole as its nodes see it: each of `nodes` Ready, connected
   * (either direction) to every topology peer at that peer's current address, which the lower
   * ordinal has added, all on one best block at `minHeight` or more. Empty when whole.
   */
  async missing(nodes: number, topology: Topology, minHeight = 101): Promise<string[]> {
    const live = await this.nodes();
    if (live.length !== nodes) return [`${live.length}/${nodes} nodes Ready`];
    const facts = await Promise.all(live.map(async (n) => ({ n, snap: await n.ops.snapshot({ version: false }) })));
    const out: string[] = [];
    const ipOf = new Map(live.map((n) => [n.ordinal, n.ip]));
    const edges = desiredEdges(topology, nodes);
    for (const { n, snap } of facts) {
      const peerIps = new Set(snap.peers.map((p) => p.addr.slice(0, p.addr.lastIndexOf(":"))));
      const added = new Set(snap.added.map((a) => a.address));
      for (const peer of expectedPeers(edges, n.ordinal)) {
        if (!peerIps.has(ipOf.get(peer)!)) out.push(`node ${n.ordinal} not connected to node ${peer} (${ipOf.get(peer)})`);
        // regnet's own wiring, in the node's own list: each edge is added by its lower ordinal (a
        // connection the nodes made up by themselves, from their address books, does not count).
        if (peer > n.ordinal && !added.has(p2p(ipOf.get(peer)!)))
          out.push(`node ${n.ordinal} has not added node ${peer} (${p2p(ipOf.get(peer)!)})`);
      }
      if (snap.tip.height < minHeight) out.push(`node ${n.ordinal} at height ${snap.tip.height} < ${minHeight}`);
    }
    const tips = new Set(facts.map((f) => f.snap.tip.bestBlockHash));
    if (tips.size > 1) out.push(`tips differ: ${facts.map((f) => `node ${f.n.ordinal} at ${f.snap.tip.height}`).join(", ")}`);
    return out;
  }

  /** Whether node `a` has a connection to node `b`'s current address, as `a` sees it. */
  async connected(a: number, bIp: string): Promise<boolean> {
    // A call left unanswered (a loaded machine: CI saw a 5 s timeout at load 20) says nothing about
    // the link, nor does a btcd node restarting to drop a peer: ask again, bounded.
    const { yes } = await waitFor(
      `node ${a}'s peers`,
      async () => {
        const node = (await this.nodes()).find((n) => n.ordinal === a);
        if (!node) throw new Error(`node ${a} is not Ready`);
        return { yes: (await node.ops.peers()).some((p) => p.addr.startsWith(`${bIp}:`)) };
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    return yes;
  }

  /**
   * Waits (bounded) until the network is whole, then proves it live: a block mined on node 0 must
   * reach every node. Returns the new height.
   */
  async whole(nodes: number, topology: Topology, timeoutMs: number, minHeight = 101): Promise<number> {
    let last: string[] = [];
    await waitFor(
      `${this.network}: every node connected to its topology peers, one tip`,
      async () => {
        const m = await this.missing(nodes, topology, minHeight);
        last = m;
        return m.length === 0;
      },
      { timeoutMs, intervalMs: 1000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; as the nodes see it: ${last.join("; ")}`);
    });
    const [zero] = await this.nodes();
    const height = await mineAtLeast(zero, (await waitFor("node 0's tip", () => zero.ops.tip())).height + 1);
    await waitFor(
      `${this.network}: the block mined on node 0 (height ${height}) on every node`,
      async () => (await Promise.all((await this.nodes()).map((n) => n.ops.tip()))).every((t) => t.height >= height),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    return height;
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
