// The sandbox's bridge and the pods' network namespaces, via iproute2 (root). Only names this
// sandbox owns (its bridge, namespaces with its prefix) are ever touched.
import { execFileSync, spawnSync } from "node:child_process";
import type { SandboxNetwork } from "./instance";

function ip(args: string[]): string {
  try {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

export function bridgeExists(net: SandboxNetwork): boolean {
  return spawnSync("ip", ["link", "show", "dev", net.bridge], { stdio: "ignore" }).status === 0;
}

/** Made before the cluster so that the API server's certificate names the gateway address. */
export function createBridge(net: SandboxNetwork): void {
  ip(["link", "add", net.bridge, "type", "bridge"]);
  ip(["addr", "add", `${net.gateway}/${net.prefixLen}`, "dev", net.bridge]);
  ip(["link", "set", net.bridge, "up"]);
}

export function deleteBridge(net: SandboxNetwork): void {
  if (bridgeExists(net)) ip(["link", "del", net.bridge]);
}

export function listNetns(net: SandboxNetwork): string[] {
  let out: string;
  try {
    out = ip(["netns", "list"]);
  } catch {
    return [];
  }
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && n.startsWith(net.netnsPrefix));
}

/** Processes running inside a network namespace. */
export function netnsPids(name: string): number[] {
  const r = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

export function deleteNetns(name: string): void {
  spawnSync("ip", ["netns", "del", name], { stdio: "ignore" });
}

export function checkIproute2(): void {
  if (spawnSync("ip", ["-V"], { stdio: "ignore" }).status !== 0) {
    throw new Error("iproute2 (`ip`) is needed for the sandbox's pod network: apt-get install iproute2");
  }
  if (process.getuid?.() !== 0) {
    throw new Error("the sandbox makes a bridge and network namespaces, which needs root: run it as root");
  }
}
