// The floor: N node processes and nothing else — no Kubernetes — each in its own network namespace
// on a bridge of the bench's own, started in parallel with the very command line regnet's pods run,
// then wired as a ring by RPC (`addnode`) and 101 blocks mined on one. What regnet is held against.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import { RpcClient, type NodeOps } from "../../provider/rpc";
import type { Implementation } from "../../provider/spec";
import { generateRpcCredentials } from "../../provider/engine/credentials";
import { DATA_DIR, MINING_ADDRESS, RPC_MOUNT, secretFiles } from "../../provider/engine/desired";
import { nodeArgs } from "../../provider/engine/desired/statefulset";
import { hostOf, peerAddress } from "../../provider/engine/node";
import { bridgeExists, createBridge, deleteBridge, deleteNetns, listNetns } from "../../sandbox/cluster/net";
import { createPodNetwork, deletePodNetwork, netnsName, type PodNetwork } from "../../sandbox/runner/netns";
import { repoRoot, toolPath } from "../../sandbox/toolchain/paths";
import { terminate } from "../../sandbox/cluster/procs";
import { defer } from "../lib/cleanup";
import { loadAverage, rssMiB } from "../lib/procs";
import type { ConvergeRun } from "../lib/results";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The floor's own network: bridge `rnf<slot>`, 10.<230+slot>.0.0/16, namespaces `rnf<slot>-*` —
 * apart from every sandbox's (`regnet<N>`, 10.244–253, `regnet*`), one per sandbox slot.
 */
export function floorNetwork(slot: number): PodNetwork {
  const s = Math.max(0, slot);
  return { bridge: `rnf${s}`, gateway: `10.${230 + s}.0.1`, prefixLen: 16, netnsPrefix: `rnf${s}-` };
}

const nodeId = (i: number) => `f${String(i).padStart(7, "0")}`;
const nodeIp = (net: PodNetwork, i: number) => `${net.gateway.split(".").slice(0, 2).join(".")}.${(i + 2) >> 8}.${(i + 2) & 255}`;

/** The pods' node command line with the pod's paths mapped to the node's folder. */
export function floorArgs(implementation: Implementation, dir: string, rpcauth: string): string[] {
  const rpcDir = path.join(dir, "rpc");
  const dataDir = path.join(dir, "data");
  return nodeArgs({ implementation, extraArgs: [] }).map((a) =>
    a.split(RPC_MOUNT).join(rpcDir).split(`=${DATA_DIR}`).join(`=${dataDir}`).split("$(RPC_AUTH)").join(rpcauth),
  );
}

/** Removes whatever a previous floor on this slot left (a killed bench). */
async function clearLeftovers(net: PodNetwork): Promise<void> {
  const inst = { ...net };
  for (const ns of listNetns(inst)) deleteNetns(ns);
  deleteBridge(inst);
}

/** Polls `probe` every `everyMs` until true; the time it first was, in ms since `t0`. */
async function until(
  t0: number,
  probe: () => Promise<boolean>,
  deadline: number,
  what: string,
  everyMs = 100,
  aborted: () => boolean = () => false,
): Promise<number> {
  for (;;) {
    if (aborted()) throw new Error("floor: interrupted");
    if (await probe().catch(() => false)) return Date.now() - t0;
    if (Date.now() > deadline) throw new Error(`floor: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface FloorOptions {
  implementation: Implementation;
  nodes: number;
  slot: number;
  timeoutMs?: number;
  say?: (line: string) => void;
}

export async function runFloor(opts: FloorOptions): Promise<ConvergeRun> {
  const { implementation, nodes: n } = opts;
  const net = floorNetwork(opts.slot);
  const root = path.join(repoRoot, ".regnet", "bench", `floor-${net.bridge}`);
  const load = loadAverage();
  await clearLeftovers(net);
  fs.rmSync(root, { recursive: true, force: true });
  const procs: ChildProcess[] = [];
  // Ctrl-C may come mid set-up: the undo stops the set-up first (it checks `aborted` between
  // steps), waits for it, then removes everything — or a namespace made after the clean-up stays.
  let aborted = false;
  let body: Promise<unknown> = Promise.resolve();
  const isAborted = () => aborted;
  const stopIfAborted = () => {
    if (aborted) throw new Error("floor: interrupted");
  };
  const undo = defer(`floor ${net.bridge}: ${n} node processes, namespaces, bridge`, async () => {
    aborted = true;
    await body.catch(() => undefined);
    await terminate(procs.map((p) => p.pid!).filter(Boolean), 20_000);
    for (let i = 0; i < n; i++) await deletePodNetwork(nodeId(i), undefined, net);
    await clearLeftovers(net);
    fs.rmSync(root, { recursive: true, force: true });
    if (bridgeExists({ ...net }) || listNetns({ ...net }).length) throw new Error(`floor: ${net.bridge} or its namespaces are still there`);
  });
  // Mining 101 blocks takes seconds on a loaded machine: a timeout well above that.
  const rpc = new RpcClient({ kubeConfig: new k8s.KubeConfig(), access: "direct", attempts: 1, timeoutMs: 60_000, concurrency: 16 });
  const measure = async (): Promise<ConvergeRun> => {
    // Set-up, not timed: the bridge, a namespace per node, the nodes' files.
    createBridge({ ...net });
    const creds = generateRpcCredentials(implementation, "floor");
    const files = secretFiles({ implementation }, creds);
    const ips = Array.from({ length: n }, (_, i) => nodeIp(net, i));
    for (let i = 0; i < n; i += 8) {
      stopIfAborted();
      await Promise.all(ips.slice(i, i + 8).map((ip, j) => createPodNetwork(nodeId(i + j), ip, net)));
    }
    const dirs = ips.map((_, i) => path.join(root, `n${i}`));
    for (const dir of dirs) {
      fs.mkdirSync(path.join(dir, "rpc"), { recursive: true });
      fs.mkdirSync(path.join(dir, "data"), { recursive: true });
      for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, "rpc", k), v);
    }
    const binary = toolPath(implementation === "btcd" ? "btcd" : "bitcoind");
    const ops: NodeOps[] = ips.map((ip, i) => rpc.node({ namespace: "floor", pod: `n${i}`, ip, implementation }, creds));

    // Timed from here: every process started at once.
    stopIfAborted();
    const t0 = Date.now();
    const deadline = t0 + (opts.timeoutMs ?? 300_000);
    dirs.forEach((dir, i) => {
      const log = fs.openSync(path.join(dir, "node.log"), "a");
      const args = floorArgs(implementation, dir, creds.rpcauth);
      procs.push(
        spawn("ip", ["netns", "exec", netnsName(nodeId(i), net), binary, ...args], {
          env: { PATH: process.env.PATH, HOME: path.join(dir, "data") },
          stdio: ["ignore", log, log],
        }),
      );
      fs.closeSync(log);
    });
    const answering = Math.max(
      ...(await Promise.all(
        ops.map((o, i) => until(t0, async () => !!(await o.tip()), deadline, `node ${i} to answer RPC`, 100, isAborted)),
      )),
    );

    // A ring: node i dials node i+1.
    const ring = n < 2 ? [] : n === 2 ? [[0, 1]] : ips.map((_, i) => [i, (i + 1) % n]);
    await Promise.all(ring.map(([a, b]) => ops[a].addPeer(peerAddress(ips[b]))));
    const want = ips.map((_, i) => new Set(ring.filter((e) => e.includes(i)).map(([a, b]) => ips[a === i ? b : a])));
    const wired = Math.max(
      0,
      ...(await Promise.all(
        ops.map((o, i) =>
          until(
            t0,
            async () => {
              const peers = new Set((await o.peers()).map((p) => hostOf(p.addr)));
              return [...want[i]].every((ip) => peers.has(ip));
            },
            deadline,
            `node ${i} to connect to its ring peers`,
            100,
            isAborted,
          ),
        ),
      )),
    );

    await ops[0].mine(101, MINING_ADDRESS);
    const best = (await ops[0].tip()).bestBlockHash;
    const synced = Math.max(
      ...(await Promise.all(
        ops.map((o, i) =>
          until(t0, async () => (await o.tip()).bestBlockHash === best, deadline, `node ${i} to reach height 101`, 200, isAborted),
        ),
      )),
    );
    const rss = procs.map((p) => rssMiB(p.pid!)).filter((x): x is number => x !== undefined);
    return {
      answeringMs: answering,
      wiredMs: wired,
      syncedMs: synced,
      nodeRssMiB: rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length),
      rpcWrites: rpc.counters.writes,
      load,
    };
  };
  try {
    const run = measure();
    body = run;
    return await run;
  } finally {
    await rpc.close();
    const t = Date.now();
    await undo();
    opts.say?.(`floor: ${n} processes stopped, namespaces and bridge ${net.bridge} removed (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
}
