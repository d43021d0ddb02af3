// One network namespace per pod (iproute2, as root): a veth pair with one end on the sandbox bridge
// and `eth0` inside, the pod's own address from the bridge's subnet, `lo` up, default route via the
// bridge. Processes in it bind 0.0.0.0 as in a real pod; 127.0.0.1 inside is the pod's own.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";
import { metrics } from "./metrics";

const run = promisify(execFile);

/** Where iproute2 keeps named network namespaces (bind mounts of nsfs files). */
const NETNS_DIR = "/run/netns";

/**
 * The runner's own network, from the environment the sandbox starts it with (each sandbox on a
 * machine has its own bridge, subnet and namespace prefix); the defaults are the default sandbox's.
 */
export interface PodNetwork {
  bridge: string;
  gateway: string;
  prefixLen: number;
  netnsPrefix: string;
}

function networkFromEnv(env: NodeJS.ProcessEnv = process.env): PodNetwork {
  return {
    bridge: env.REGNET_BRIDGE || "regnet0",
    gateway: env.REGNET_GATEWAY || "10.244.0.1",
    prefixLen: Number(env.REGNET_PREFIX_LEN || 16),
    netnsPrefix: env.REGNET_NETNS_PREFIX || "regnet-",
  };
}

export const NET = networkFromEnv();

/**
 * Runs `ip -batch` on the given commands, each list in one `ip` process (the second list inside the
 * namespace `ns`), all of it as ONE process forked from the runner: a fork of the runner's Node
 * process blocks its only thread for 5-15 ms (more under load), a fork of `sh` costs next to nothing.
 * `force`: go on past a failing command (clean-up of what may not exist).
 */
async function ipBatch(host: string[], inNetns?: { ns: string; commands: string[] }, force = false): Promise<void> {
  const flags = force ? "-force -batch -" : "-batch -";
  const parts = [`ip ${flags} <<'EOF'\n${host.join("\n")}\nEOF`];
  if (inNetns) parts.push(`ip -n ${inNetns.ns} ${flags} <<'EOF'\n${inNetns.commands.join("\n")}\nEOF`);
  metrics.spawned("ip batch");
  await run("sh", ["-c", [...(force ? [] : ["set -e"]), ...parts].join("\n")], { encoding: "utf8" });
}

export function netnsName(podUid: string, net: PodNetwork = NET): string {
  return net.netnsPrefix + podUid.replace(/-/g, "").slice(0, 8);
}

/**
 * The veth's host end: host interface names are machine-wide (max 15 characters), so the
 * namespace's id and a sandbox tag. (The pod end is `eth0`, a name of the pod's own namespace.)
 */
function hostVeth(podUid: string, net: PodNetwork): string {
  const id = podUid.replace(/-/g, "").slice(0, 8);
  const tag = net.bridge.replace(/^regnet/, "") || "0";
  return `rv${tag}${id}`;
}

/**
 * Pod addresses in the /16 of the gateway (x.y.0.1), from x.y.0.2 up. Handed out round-robin, so
 * a released address is not reused at once: neighbours (the host, other pods) may still have the
 * old pod's MAC address cached for it.
 */
export class AddressPool {
  private readonly used = new Set<number>();
  private readonly base: string;
  private last = 1;

  constructor(gateway: string = NET.gateway) {
    this.base = gateway.split(".").slice(0, 2).join(".");
  }

  allocate(): string {
    for (let i = 0; i < 65533; i++) {
      const n = ((this.last - 1 + i) % 65533) + 2; // 2 .. 65534
      if (!this.used.has(n)) {
        this.used.add(n);
        this.last = n;
        return `${this.base}.${n >> 8}.${n & 255}`;
      }
    }
    throw new Error(`pod address pool ${this.base}.0.0/16 is exhausted`);
  }

  /** Takes a specific address (a pod's own after a runner restart) if it is in range and free. */
  claim(address: string): boolean {
    const parts = address.split(".");
    if (parts.slice(0, 2).join(".") !== this.base) return false;
    const n = (Number(parts[2]) << 8) | Number(parts[3]);
    if (n < 2 || n > 65534 || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  release(address: string): void {
    const [, , hi, lo] = address.split(".").map(Number);
    this.used.delete((hi << 8) | lo);
  }
}

export async function bridgeExists(): Promise<boolean> {
  return fs.existsSync(`/sys/class/net/${NET.bridge}`);
}

/**
 * Creates the pod's namespace and plumbing — the veth's pod end is made as `eth0` right inside the
 * namespace — in one process; removes what it made if a step fails. `net` is the runner's own
 * network unless another owner (the benchmark's floor) passes its own.
 */
export async function createPodNetwork(podUid: string, address: string, net: PodNetwork = NET): Promise<string> {
  const ns = netnsName(podUid, net);
  const host = hostVeth(podUid, net);
  await deletePodNetwork(podUid, address, net); // a leftover from a crashed runner would make `add` fail
  try {
    await ipBatch(
      [`netns add ${ns}`, `link add ${host} type veth peer name eth0 netns ${ns}`, `link set ${host} master ${net.bridge} up`],
      {
        ns,
        commands: [
          `addr add ${address}/${net.prefixLen} dev eth0`,
          "link set eth0 up",
          "link set lo up",
          `route add default via ${net.gateway}`,
        ],
      },
    );
  } catch (err) {
    await deletePodNetwork(podUid, undefined, net);
    throw new Error(`pod network ${ns}: ${((err as { stderr?: string }).stderr || String(err)).trim()}`, { cause: err });
  }
  return ns;
}

/**
 * Deleting the namespace destroys its veth end, and with it the bridge end; the host forgets the
 * pod's MAC address, so a later pod with the same address is reachable at once. Nothing is forked
 * when there is nothing to delete (the usual case before a create).
 */
export async function deletePodNetwork(podUid: string, address?: string, net: PodNetwork = NET): Promise<void> {
  const ns = netnsName(podUid, net);
  const host = hostVeth(podUid, net);
  const commands: string[] = [];
  if (fs.existsSync(`${NETNS_DIR}/${ns}`)) commands.push(`netns delete ${ns}`);
  if (fs.existsSync(`/sys/class/net/${host}`)) commands.push(`link delete ${host}`);
  if (commands.length === 0) return;
  if (address) commands.push(`neigh flush to ${address} dev ${net.bridge}`);
  await ipBatch(commands, undefined, true).catch(() => undefined);
}

/** Namespaces this runner's kind made (for clean-up of a previous run's leftovers). */
export async function listPodNetns(): Promise<string[]> {
  const names = await fs.promises.readdir(NETNS_DIR).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(NET.netnsPrefix));
}

/** The processes in namespace `ns` (what `ip netns pids` prints), read from /proc without forking. */
export async function netnsPids(ns: string): Promise<number[]> {
  const target = await fs.promises.stat(`${NETNS_DIR}/${ns}`).catch(() => undefined);
  if (!target) return [];
  const pids = (await fs.promises.readdir("/proc")).filter((d) => /^\d+$/.test(d));
  const inside = await Promise.all(
    pids.map((pid) =>
      fs.promises.stat(`/proc/${pid}/ns/net`).then(
        (st) => st.ino === target.ino && st.dev === target.dev,
        () => false, // gone meanwhile, or a kernel thread
      ),
    ),
  );
  return pids.filter((_, i) => inside[i]).map(Number);
}
