// regnet from apply to synced, through both front doors, on the sandbox with real nodes:
// - controller: a BitcoinNetwork object, reconciled by the in-cluster controller (charts-out);
// - Pulumi: `up` of the stack program, inline through the Automation API.
// Each run starts from nothing and is torn down after (delete / destroy), timed until no object and
// no node process is left. Memory: the nodes once synced, the controller or the Pulumi dynamic
// provider at their largest during the run.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { GROUP, PLURAL, VERSION, type BitcoinNetworkSpecInput } from "../../provider/spec";
import type { Implementation } from "../../provider/spec";
import { openStack } from "../../infra/pulumi/automation";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { createNetwork, getNetwork, kubeconfigPath, settled, type NetworkCR } from "../harness";
import { controllerPid, meanRss, networkPods, nodePids, untilGone, type Sandbox } from "../lib/cluster";
import { defer } from "../lib/cleanup";
import { cmdline, descendants, loadAverage, rssMiB, sampleMax } from "../lib/procs";
import type { ConvergeRun } from "../lib/results";
import { watchPods } from "../lib/pod-milestones";
import { setTimeout as sleep } from "node:timers/promises";

export interface NetworkCase {
  impl: Implementation;
  nodes: number;
  topology: BitcoinNetworkSpecInput["topology"];
}

const specOf = (c: NetworkCase): BitcoinNetworkSpecInput => ({ implementation: c.impl, nodes: c.nodes, topology: c.topology });

/** Every node Ready, wired to its expected peers, at height ≥ 101 on one tip, for this generation. */
function syncedStatus(n: NetworkCR, nodes: number): boolean {
  const all = n.status?.nodes?.length === nodes && n.status.nodes.every((x) => x.ready && x.peers === x.expectedPeers);
  return all && settled(n) && (n.status?.height ?? 0) >= 101;
}

/** Polls the BitcoinNetwork until synced; the first time each milestone was seen, ms since t0. */
async function watchCR(sb: Sandbox, namespace: string, name: string, nodes: number, t0: number, timeoutMs: number) {
  let readyMs: number | undefined;
  let wiredMs: number | undefined;
  for (;;) {
    const n: NetworkCR = await getNetwork(sb.kc, name, namespace).catch(() => ({}) as NetworkCR);
    const now = Date.now() - t0;
    if (readyMs === undefined && n.status?.readyNodes === nodes) readyMs = now;
    if (wiredMs === undefined && n.status?.wired && n.status.nodes?.length === nodes) wiredMs = now;
    if (syncedStatus(n, nodes)) return { answeringMs: readyMs ?? now, wiredMs: wiredMs ?? now, syncedMs: now };
    if (now > timeoutMs)
      throw new Error(
        `${namespace}/${name} not synced after ${timeoutMs / 1000} s: ${n.status?.conditions?.map((c) => `${c.type}=${c.status}: ${c.message}`).join("; ")}`,
      );
    await sleep(150);
  }
}

export async function viaController(sb: Sandbox, namespace: string, name: string, c: NetworkCase, timeoutMs: number): Promise<ConvergeRun> {
  const load = loadAverage();
  // A controller that is restarting (e.g. after a failed liveness probe) is waited for, up to 2 min.
  let pid = await controllerPid(sb);
  for (let i = 0; !pid && i < 240; i++) {
    await sleep(500);
    pid = await controllerPid(sb);
  }
  if (!pid) throw new Error("the in-cluster controller has had no running process for 2 minutes");
  const undo = defer(`BitcoinNetwork ${namespace}/${name}`, async () => {
    await sb.custom
      .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })
      .catch(() => undefined);
  });
  const ctl = sampleMax(() => rssMiB(pid));
  const t0 = Date.now();
  const pods = await watchPods(sb, namespace, name, c.nodes, t0);
  await createNetwork(sb.kc, name, namespace, specOf(c));
  const times = await watchCR(sb, namespace, name, c.nodes, t0, timeoutMs).finally(() => ctl.stop());
  const milestones = await pods.stop();
  const controllerRssMiB = ctl.stop();
  const pids = nodePids(sb, await networkPods(sb, namespace, name));
  const nodeRssMiB = meanRss(pids);
  const t1 = Date.now();
  await sb.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
  const gone = await untilGone(sb, namespace, name, pids, true);
  await undo();
  return { ...times, ...milestones, teardownMs: gone - t1, nodeRssMiB, controllerRssMiB, load };
}

/** The dynamic provider's Node process: a descendant of this process (CLI → plugin) running Pulumi's dynamic-provider host. */
function providerRss(): number | undefined {
  const pids = descendants(process.pid).filter((p) => /dynamic-provider/.test(cmdline(p)));
  const xs = pids.map(rssMiB).filter((x): x is number => x !== undefined);
  return xs.length ? xs.reduce((a, b) => a + b, 0) : undefined;
}

export interface PulumiNetworks {
  stack: Stack;
  root: string;
  configure(c: NetworkCase | undefined): Promise<void>;
  close(): Promise<void>;
}

/** A stack of the regnet program (networks in `namespace`) on a local file backend under .regnet/bench/pulumi-<tag>. */
export async function pulumiStack(namespace: string, tag: string, name: string, timeoutMs: number): Promise<PulumiNetworks> {
  const root = path.join(repoRoot, ".regnet", "bench", `pulumi-${tag}`);
  const config = (c: NetworkCase | undefined) => ({
    namespace,
    kubeconfigPath: kubeconfigPath(),
    networks: c ? [{ name, ...specOf(c) }] : [],
    convergeTimeoutSeconds: timeoutMs / 1000,
  });
  const stack = await openStack({
    stackName: "bench",
    stateDir: path.join(root, "state"),
    config: config(undefined),
    env: { REGNET_LOG_FILE: path.join(root, "provider.log") },
  });
  const undo = defer(`Pulumi stack ${root}`, async () => {
    await stack.destroy({ color: "never" }).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    stack,
    root,
    configure: (c) => stack.setConfig("regnet:networks", { value: JSON.stringify(config(c).networks) }),
    close: undo,
  };
}

export async function viaPulumi(sb: Sandbox, p: PulumiNetworks, namespace: string, name: string, c: NetworkCase): Promise<ConvergeRun> {
  const load = loadAverage();
  await p.configure(c);
  const prov = sampleMax(providerRss);
  const t0 = Date.now();
  const up = await p.stack.up({ color: "never" });
  const syncedMs = Date.now() - t0;
  const providerRssMiB = prov.stop();
  const networks = up.outputs.networks?.value as Record<string, unknown> | undefined;
  const out = networks?.[name] as { wired: boolean; synced: boolean; height: number; nodes: unknown[] } | undefined;
  if (!out?.synced || !out.wired || out.height < 101 || out.nodes.length !== c.nodes)
    throw new Error(`pulumi up ended unsynced: ${JSON.stringify(out)}`);
  const pids = nodePids(sb, await networkPods(sb, namespace, name));
  const nodeRssMiB = meanRss(pids);
  const t1 = Date.now();
  await p.stack.destroy({ color: "never" });
  const gone = await untilGone(sb, namespace, name, pids, false);
  return { syncedMs, teardownMs: gone - t1, nodeRssMiB, providerRssMiB, load };
}
