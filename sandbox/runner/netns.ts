// One network namespace per pod (iproute2, as root): a veth pair with one end on the sandbox bridge
// and `eth0` inside, the pod's own address from the bridge's subnet, `lo` up, default route via the
// bridge. Processes in it bind 0.0.0.0 as in a real pod; 127.0.0.1 inside is the pod's own.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { metrics } from "./metrics";

const run = promisify(execFile);

/**
 * The network this runner owns, from the environment the sandbox starts it with (each sandbox on a
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

async function ip(...args: string[]): Promise<string> {
  metrics.spawned("ip");
  const { stdout } = await run("ip", args, { encoding: "utf8" });
  return stdout;
}

export function netnsName(podUid: string, net: PodNetwork = NET): string {
  return net.netnsPrefix + podUid.replace(/-/g, "").slice(0, 8);
}

/** Interface names are machine-wide (max 15 characters): the namespace's id, and a sandbox tag. */
function vethNames(podUid: string, net: PodNetwork): { host: string; peer: string } {
  const id = podUid.replace(/-/g, "").slice(0, 8);
  const tag = net.bridge.replace(/^regnet/, "") || "0";
  return { host: `rv${tag}${id}`, peer: `rp${tag}${id}` };
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
  try {
    await ip("link", "show", NET.bridge);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the pod's namespace and plumbing; removes what it made if a step fails. `net` is the
 * runner's own network unless another owner (the benchmark's floor) passes its own.
 */
export async function createPodNetwork(podUid: string, address: string, net: PodNetwork = NET): Promise<string> {
  const ns = netnsName(podUid, net);
  const { host, peer } = vethNames(podUid, net);
  await deletePodNetwork(podUid, address, net); // a leftover from a crashed runner would make `add` fail
  try {
    await ip("netns", "add", ns);
    await ip("link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns);
    await ip("link", "set", host, "master", net.bridge, "up");
    await ip("-n", ns, "link", "set", peer, "name", "eth0");
    await ip("-n", ns, "addr", "add", `${address}/${net.prefixLen}`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "up");
    await ip("-n", ns, "link", "set", "lo", "up");
    await ip("-n", ns, "route", "add", "default", "via", net.gateway);
  } catch (err) {
    await deletePodNetwork(podUid, undefined, net);
    throw err;
  }
  return ns;
}

/**
 * Deleting the namespace destroys its veth end, and with it the bridge end; the host forgets the
 * pod's MAC address, so a later pod with the same address is reachable at once.
 */
export async function deletePodNetwork(podUid: string, address?: string, net: PodNetwork = NET): Promise<void> {
  const ns = netnsName(podUid, net);
  await ip("netns", "delete", ns).catch(() => undefined);
  await ip("link", "delete", vethNames(podUid, net).host).catch(() => undefined);
  if (address) await ip("neigh", "flush", "to", address, "dev", net.bridge).catch(() => undefined);
}

/** Namespaces this runner's kind made (for clean-up of a previous run's leftovers). */
export async function listPodNetns(): Promise<string[]> {
  const out = await ip("netns", "list").catch(() => "");
  return out
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(NET.netnsPrefix));
}

export async function netnsPids(ns: string): Promise<number[]> {
  const out = await ip("netns", "pids", ns).catch(() => "");
  return out.split("\n").filter(Boolean).map(Number);
}
