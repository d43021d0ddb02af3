// The sandbox's life cycle: up (bridge, control plane, one Ready KWOK node, node runner), down
// (nothing left: no process, listener, namespace or bridge), status.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { type BinaryName, TOOLS, type ToolName, toolBinDir, toolPath } from "../toolchain/paths";
import {
  type SandboxInstance,
  type SandboxNetwork,
  claimInstance,
  currentInstance,
  networkForSlot,
  releaseInstance,
  sandboxDir,
  sandboxName,
  unheldSlots,
  withSlotsLock,
} from "./instance";
import {
  COMPONENTS,
  RUNNER_KWOK_CONFIG,
  clusterDir,
  componentPids,
  componentPorts,
  kwokctl,
  kwokctlConfig,
  kwokctlConfigFile,
} from "./kwok";
import { bridgeExists, checkIproute2, createBridge, deleteBridge, deleteNetns, listNetns, netnsPids } from "./net";
import { alive, listeners, listeningPorts, processName, processesMentioning, terminate, withPidLock } from "./procs";
import { setTimeout as sleep } from "node:timers/promises";
import { extraKwokEnv, runnerExists, runnerPid, startRunner, stopRunner } from "./runner";

export type Say = (line: string) => void;

const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

function checkToolchain(): void {
  const missing = (Object.keys(TOOLS) as ToolName[]).filter((t) => TOOLS[t].binaries.some((b: BinaryName) => !fs.existsSync(toolPath(b))));
  if (missing.length) {
    throw new Error(`toolchain not installed (${missing.map((t) => toolBinDir(t)).join(", ")}): run \`npm run setup\` first`);
  }
}

function kubeConfigOf(inst: SandboxInstance): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(inst.kubeconfig);
  return kc;
}

/**
 * Control plane processes alive and the API server answering. With the processes alive, a slow
 * answer (a loaded machine) is waited for up to `patienceMs`: `up` must not tear down a working
 * sandbox that others use because it was busy for a few seconds.
 */
async function clusterHealthy(inst: SandboxInstance, patienceMs = 5_000): Promise<boolean> {
  if (inst.slot < 0 || !fs.existsSync(inst.kubeconfig) || !bridgeExists(inst)) return false;
  const core = kubeConfigOf(inst).makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + patienceMs;
  for (;;) {
    if (!Object.values(componentPids(inst)).every(alive)) return false;
    try {
      await Promise.race([core.listNode(), sleep(5000).then(() => Promise.reject(new Error("timeout")))]);
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      await sleep(1000);
    }
  }
}

/** Up = control plane healthy and (when the runner is built) the runner running. */
export async function isUp(inst: SandboxInstance = currentInstance()): Promise<boolean> {
  return (await clusterHealthy(inst)) && (!runnerExists() || runnerPid(inst) !== undefined);
}

/** One `up` or `down` at a time per sandbox: a second one waits, then finds the work done. */
function exclusive<T>(say: Say, fn: () => Promise<T>): Promise<T> {
  const dir = sandboxDir();
  fs.mkdirSync(dir, { recursive: true });
  return withPidLock(
    path.join(dir, "sandbox.lock"),
    (owner) => say(`sandbox ${sandboxName()}: waiting for another sandbox up/down (pid ${owner}) ...`),
    fn,
  );
}

export async function up(say: Say): Promise<SandboxInstance> {
  checkIproute2();
  checkToolchain();
  return exclusive(say, async () => {
    const inst = await withSlotsLock(
      (owner) => say(`sandbox ${sandboxName()}: waiting for another sandbox's claim (pid ${owner}) ...`),
      async () => {
        const claimed = claimInstance();
        await clearUnheldSlots(say);
        return claimed;
      },
    );
    return upLocked(inst, say);
  });
}

/**
 * The bridge and pod namespaces of every slot no sandbox holds: what a sandbox that died without
 * `down` left (a killed CI run), which nothing else would ever remove. Runs holding the slot lock,
 * so a slot being claimed is never swept.
 */
export async function clearUnheldSlots(say: Say): Promise<void> {
  for (const slot of unheldSlots()) {
    const net = networkForSlot(slot);
    const stale = listNetns(net);
    const bridge = bridgeExists(net);
    if (!stale.length && !bridge) continue;
    say(
      `sandbox: slot ${slot} is held by no sandbox; removing ${stale.length} network namespace(s)${bridge ? ` and bridge ${net.bridge}` : ""}`,
    );
    await removeNetwork(net);
  }
}

/** A slot's pod namespaces (and whatever still runs in them) and its bridge. */
async function removeNetwork(net: SandboxNetwork): Promise<void> {
  for (const ns of listNetns(net)) {
    await terminate(netnsPids(ns), 5_000);
    deleteNetns(ns);
  }
  deleteBridge(net);
}

async function upLocked(inst: SandboxInstance, say: Say): Promise<SandboxInstance> {
  if (await clusterHealthy(inst, 60_000)) {
    if (!runnerExists() || runnerPid(inst)) {
      say(`sandbox ${inst.name} is already up (kubeconfig ${inst.kubeconfig})`);
      return inst;
    }
    const pid = await startRunner(inst, apiserverPort(inst));
    say(`sandbox ${inst.name}: control plane was up; node runner started (pid ${pid})`);
    return inst;
  }

  say(`sandbox ${inst.name}: clearing leftovers ...`);
  await clearAll(inst, say);
  try {
    return await create(inst, say);
  } catch (err) {
    // Nothing half-made stays behind; the logs (kwokctl.log, runner.log) do.
    say(`sandbox ${inst.name}: up failed, removing what it made ...`);
    await clearAll(inst, say).catch(() => undefined);
    releaseInstance(inst);
    throw err;
  }
}

async function create(inst: SandboxInstance, say: Say): Promise<SandboxInstance> {
  const started = Date.now();
  checkPortsFree(inst);
  createBridge(inst);
  say(`sandbox ${inst.name}: bridge ${inst.bridge} ${inst.gateway}/${inst.prefixLen} (${secs(started)})`);

  fs.writeFileSync(kwokctlConfigFile(inst), kwokctlConfig(inst, extraKwokEnv(inst)));
  const configs = ["-c", kwokctlConfigFile(inst)];
  if (fs.existsSync(RUNNER_KWOK_CONFIG)) configs.push("-c", RUNNER_KWOK_CONFIG);
  const created = await kwokctl(inst, [
    "create",
    "cluster",
    "--runtime",
    "binary",
    "--kubeconfig",
    inst.kubeconfig,
    ...configs,
    "--wait",
    "120s",
  ]);
  if (created.code !== 0) {
    throw new Error(`kwokctl create cluster failed (exit ${created.code}):\n${lastLines(created.output)}`);
  }
  say(`sandbox ${inst.name}: control plane up (${secs(started)})`);

  const scaled = await kwokctl(inst, ["scale", "node", "--replicas", "1"]);
  if (scaled.code !== 0) throw new Error(`kwokctl scale node failed (exit ${scaled.code}):\n${lastLines(scaled.output)}`);
  await waitClusterReady(inst);
  say(`sandbox ${inst.name}: node Ready, default ServiceAccount present (${secs(started)})`);

  if (runnerExists()) {
    const pid = await startRunner(inst, apiserverPort(inst));
    say(`sandbox ${inst.name}: node runner started (pid ${pid}, log ${inst.runnerLog})`);
  } else {
    say(`sandbox ${inst.name}: WARNING node runner not built (no dist/sandbox/runner/main.js): pods are only simulated`);
  }
  say(`sandbox ${inst.name} is up in ${secs(started)}. kubeconfig: ${inst.kubeconfig}`);
  return inst;
}

/** The slot's ports are this sandbox's alone; a process of something else on one is named, before anything is made. */
export function checkPortsFree(inst: SandboxInstance): void {
  const held = [...listeners(Object.values(inst.ports))].map(([port, pids]) => {
    const who = pids.map((pid) => `pid ${pid} (${processName(pid)})`).join(", ") || "a process of another user";
    return `${port} is held by ${who}`;
  });
  if (held.length) {
    throw new Error(
      `sandbox ${inst.name} (slot ${inst.slot}) needs ports ${Object.values(inst.ports).join(", ")}, but ${held.join("; ")}: ` +
        `stop that process, or use another slot (REGNET_SANDBOX=<name>)`,
    );
  }
}

function apiserverPort(inst: SandboxInstance): number {
  const port = componentPorts(inst)["kube-apiserver"];
  if (!port) throw new Error(`no kube-apiserver port in ${clusterDir(inst)}/kwok.yaml`);
  return port;
}

/** A node Ready, and what pods need before they can be created: the default ServiceAccount and root CA. */
async function waitClusterReady(inst: SandboxInstance, timeoutMs = 90_000): Promise<void> {
  const core = kubeConfigOf(inst).makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  let waitingFor = "";
  for (;;) {
    try {
      const nodes = await core.listNode();
      const ready = nodes.items.some((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      waitingFor = "a Ready node";
      if (ready) {
        waitingFor = "ServiceAccount default/default";
        await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
        waitingFor = "ConfigMap default/kube-root-ca.crt";
        await core.readNamespacedConfigMap({ name: "kube-root-ca.crt", namespace: "default" });
        return;
      }
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`sandbox ${inst.name}: timed out waiting for ${waitingFor || "the API server"}`);
    await sleep(250);
  }
}

export async function down(say: Say): Promise<void> {
  checkIproute2();
  await exclusive(say, () => downLocked(currentInstance(), say));
}

async function downLocked(inst: SandboxInstance, say: Say): Promise<void> {
  const started = Date.now();
  const ports = componentPorts(inst); // read before clearAll removes the cluster's config
  await clearAll(inst, say);
  const left = leftovers(inst, ports);
  fs.rmSync(inst.kubeconfig, { force: true });
  if (inst.slot >= 0) releaseInstance(inst);
  if (left.length) throw new Error(`sandbox ${inst.name}: down left behind:\n  ${left.join("\n  ")}`);
  say(`sandbox ${inst.name} is down in ${secs(started)}: no process, listener, network namespace or bridge left`);
}

/** Stops and removes everything this sandbox may have made, whatever state it is in. */
async function clearAll(inst: SandboxInstance, say: Say): Promise<void> {
  const ports = Object.values(componentPorts(inst));
  if (runnerPid(inst)) say(`sandbox ${inst.name}: stopping node runner (it stops its pods) ...`);
  await stopRunner(inst);
  if (fs.existsSync(clusterDir(inst))) {
    const deleted = await kwokctl(inst, ["delete", "cluster"]);
    if (deleted.code !== 0) say(`sandbox ${inst.name}: kwokctl delete cluster exit ${deleted.code} (cleaning up by hand)`);
  }
  // Whatever kwokctl did not stop (a crashed delete, an older cluster): anything naming its workdir.
  await terminate(
    processesMentioning(`${clusterDir(inst)}/`).map((p) => p.pid),
    10_000,
  );
  fs.rmSync(clusterDir(inst), { recursive: true, force: true });
  if (inst.slot >= 0) await removeNetwork(inst);
  // Sockets close as the processes die; give the kernel a moment.
  const deadline = Date.now() + 10_000;
  while (ports.some((p) => listeningPorts().has(p)) && Date.now() < deadline) await sleep(100);
}

/** What `down` must not leave: processes naming the cluster, the runner, namespaces, the bridge, listeners. */
function leftovers(inst: SandboxInstance, ports: Record<string, number>): string[] {
  const left: string[] = [];
  for (const p of processesMentioning(`${clusterDir(inst)}/`)) left.push(`process ${p.pid}: ${p.cmd.slice(0, 120)}`);
  const runner = runnerPid(inst);
  if (runner) left.push(`node runner pid ${runner}`);
  if (inst.slot >= 0) {
    for (const ns of listNetns(inst)) left.push(`network namespace ${ns}`);
    if (bridgeExists(inst)) left.push(`bridge ${inst.bridge}`);
  }
  const held = listeners(Object.values(ports));
  for (const [name, port] of Object.entries(ports)) {
    const pids = held.get(port);
    if (pids) left.push(`listener :${port} (${name}${pids.length ? `, pid ${pids.join(", ")}` : ""})`);
  }
  return left;
}

export async function status(say: Say): Promise<boolean> {
  const inst = currentInstance();
  const healthy = await clusterHealthy(inst);
  const runner = runnerPid(inst);
  const upNow = healthy && (!runnerExists() || runner !== undefined);
  say(`sandbox ${inst.name}: ${upNow ? "UP" : healthy ? "DEGRADED" : "DOWN"}   (state ${inst.dir})`);
  if (inst.slot >= 0) {
    say(
      `  network     bridge ${inst.bridge} ${bridgeExists(inst) ? "present" : "absent"}, ` +
        `${inst.gateway}/${inst.prefixLen}, pod namespaces ${inst.netnsPrefix}*: ${listNetns(inst).length}`,
    );
  }
  const pids = componentPids(inst);
  const ports = componentPorts(inst);
  for (const c of COMPONENTS) {
    const pid = pids[c];
    const port = ports[c] ? `  port ${ports[c]}` : "";
    say(`  ${c.padEnd(24)}${alive(pid) ? `running  pid ${pid}` : "stopped"}${port}`);
  }
  say(
    `  ${"node runner".padEnd(24)}${runner ? `running  pid ${runner}  log ${inst.runnerLog}` : runnerExists() ? "stopped" : "not built"}`,
  );
  if (healthy) {
    const core = kubeConfigOf(inst).makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode();
    for (const n of nodes.items) {
      const ready = n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      say(`  node ${n.metadata?.name}: ${ready ? "Ready" : "NotReady"}`);
    }
    say(`  kubeconfig  ${inst.kubeconfig}`);
  }
  return upNow;
}

function lastLines(text: string, n = 20): string {
  return text
    .trimEnd()
    .split("\n")
    .slice(-n)
    .map((l) => `    ${l}`)
    .join("\n");
}
