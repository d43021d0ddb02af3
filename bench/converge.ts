// `npm run bench:converge`: time from a change to a synced network, repeated, on the sandbox with
// real nodes — through the controller (a BitcoinNetwork object; the in-cluster controller from
// charts-out, or a local one with --controller local) or through Pulumi (the stack program inline
// through the Automation API). Each run starts from nothing (create) or from a synced network of
// `--from` nodes (scale), and ends when the network reports Ready, Wired and Synced at height ≥ 101
// with every node at its expected peers; then it is deleted. Prints one line per run and the
// median/min/max of time to wired and to synced.
//   npm run bench:converge -- --via controller|pulumi --impl bitcoin-core|btcd --nodes 7 [--from 3] [--runs 10]
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { openStack } from "../infra/pulumi/automation";
import { repoRoot } from "../sandbox/toolchain/paths";
import type { Implementation } from "../provider/spec";
import {
  applyPlatform,
  CONTROLLER_NAME,
  CONTROLLER_NAMESPACE,
  createNetwork,
  getNetwork,
  kubeconfigPath,
  kubectl,
  loadKubeConfig,
  median,
  patchNetworkSpec,
  settled,
  startLocalController,
  type LocalController,
  type NetworkCR,
} from "./harness";
import { messageOf } from "../provider/errors";
import { setTimeout as sleep } from "node:timers/promises";

const say = (s: string) => process.stderr.write(`${s}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);

interface Run {
  wiredMs: number;
  syncedMs: number;
}

/** Polls the CR until it is wired (first time seen) and then settled with `nodes` nodes at ≥ 101. */
async function untilSynced(
  kc: k8s.KubeConfig,
  name: string,
  namespace: string,
  nodes: number,
  since: number,
  timeoutMs: number,
): Promise<Run> {
  let wiredMs: number | undefined;
  for (;;) {
    const n: NetworkCR = await getNetwork(kc, name, namespace).catch(() => ({}) as NetworkCR);
    const ok = n.status?.nodes?.length === nodes && n.status.nodes.every((x) => x.ready && x.peers === x.expectedPeers);
    if (ok && n.status?.wired && wiredMs === undefined && n.status.observedGeneration === n.metadata?.generation)
      wiredMs = Date.now() - since;
    if (ok && settled(n) && (n.status?.height ?? 0) >= 101) return { wiredMs: wiredMs ?? Date.now() - since, syncedMs: Date.now() - since };
    if (Date.now() - since > timeoutMs)
      throw new Error(
        `not synced after ${secs(timeoutMs)} s: ${JSON.stringify(n.status?.conditions?.map((c) => `${c.type}=${c.status}: ${c.message}`))}`,
      );
    await sleep(100);
  }
}

async function viaController(opts: Options, namespace: string): Promise<Run[]> {
  const kc = loadKubeConfig();
  await applyPlatform({ controller: opts.controller === "cluster" });
  let local: LocalController | undefined;
  if (opts.controller === "local") {
    // Only this benchmark's controller acts: the in-cluster one (if any) is scaled to 0.
    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=0"]).catch(() => undefined);
    local = await startLocalController(["--namespace", namespace]);
  } else {
    await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=1"]);
    await kubectl(["rollout", "status", `deployment/${CONTROLLER_NAME}`, "-n", CONTROLLER_NAMESPACE, "--timeout=240s"], 250_000);
  }
  const runs: Run[] = [];
  try {
    for (let i = 0; i < opts.runs; i++) {
      const name = `bench-${i}`;
      const spec = { implementation: opts.impl, nodes: opts.from ?? opts.nodes, topology: { type: "mesh" as const } };
      let t0 = Date.now();
      await createNetwork(kc, name, namespace, spec);
      if (opts.from !== undefined) {
        await untilSynced(kc, name, namespace, opts.from, t0, opts.timeoutMs);
        t0 = Date.now();
        await patchNetworkSpec(kc, name, namespace, { nodes: opts.nodes });
      }
      const run = await untilSynced(kc, name, namespace, opts.nodes, t0, opts.timeoutMs);
      runs.push(run);
      say(`run ${i + 1}/${opts.runs}: wired ${secs(run.wiredMs)} s, synced ${secs(run.syncedMs)} s`);
      await kubectl(["delete", "bitcoinnetwork", name, "-n", namespace, "--wait=true", "--timeout=120s"], 130_000);
      await kubectl(["wait", "--for=delete", "pod", "-l", `regnet.dev/network=${name}`, "-n", namespace, "--timeout=120s"], 130_000).catch(
        () => undefined,
      );
    }
  } finally {
    await local?.stop();
  }
  return runs;
}

async function viaPulumi(opts: Options, namespace: string): Promise<Run[]> {
  const root = path.join(repoRoot, ".regnet", "bench-pulumi", namespace);
  const config = (nodes: number) => ({
    namespace,
    kubeconfigPath: kubeconfigPath(),
    networks: [{ name: "bench", nodes, implementation: opts.impl }],
    convergeTimeoutSeconds: opts.timeoutMs / 1000,
  });
  const stack = await openStack({
    stackName: "bench",
    stateDir: path.join(root, "state"),
    config: config(opts.from ?? opts.nodes),
    env: { REGNET_LOG_FILE: path.join(root, "engine.log") },
  });
  const runs: Run[] = [];
  try {
    for (let i = 0; i < opts.runs; i++) {
      if (opts.from !== undefined) {
        await stack.setConfig("regnet:networks", { value: JSON.stringify(config(opts.from).networks) });
        await stack.up({ color: "never" });
        await stack.setConfig("regnet:networks", { value: JSON.stringify(config(opts.nodes).networks) });
      }
      const t0 = Date.now();
      const up = await stack.up({ color: "never" });
      const networks = up.outputs.networks?.value as Record<string, { wired: boolean; synced: boolean; height: number; nodes: unknown[] }>;
      const out = networks?.bench;
      if (!out?.synced || !out.wired || out.height < 101 || out.nodes.length !== opts.nodes)
        throw new Error(`up ended unsynced: ${JSON.stringify(out)}`);
      // `up` returns once the provider's converge saw wired and synced together.
      const run = { wiredMs: Date.now() - t0, syncedMs: Date.now() - t0 };
      runs.push(run);
      say(`run ${i + 1}/${opts.runs}: pulumi up → synced ${secs(run.syncedMs)} s`);
      await stack.destroy({ color: "never" });
    }
  } finally {
    await stack.destroy({ color: "never" }).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
  return runs;
}

interface Options {
  via: "controller" | "pulumi";
  controller: "cluster" | "local";
  impl: Implementation;
  nodes: number;
  from?: number;
  runs: number;
  timeoutMs: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      via: { type: "string", default: "controller" },
      controller: { type: "string", default: "cluster" },
      impl: { type: "string", default: "bitcoin-core" },
      nodes: { type: "string", default: "3" },
      from: { type: "string" },
      runs: { type: "string", default: "5" },
      timeout: { type: "string", default: "600" },
    },
  });
  const via = values.via as Options["via"];
  if (!["controller", "pulumi"].includes(via)) throw new Error(`--via must be controller or pulumi, not ${via}`);
  const impl = values.impl as Implementation;
  if (!["bitcoin-core", "btcd"].includes(impl)) throw new Error(`--impl must be bitcoin-core or btcd, not ${impl}`);
  return {
    via,
    controller: values.controller === "local" ? "local" : "cluster",
    impl,
    nodes: Number(values.nodes),
    from: values.from === undefined ? undefined : Number(values.from),
    runs: Number(values.runs),
    timeoutMs: Number(values.timeout) * 1000,
  };
}

async function main() {
  const opts = options();
  const kc = loadKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `bench-converge-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const what = `${opts.impl} mesh ${opts.from !== undefined ? `${opts.from} → ${opts.nodes}` : `create ${opts.nodes}`} via ${opts.via}${opts.via === "controller" ? ` (${opts.controller})` : ""}`;
  say(`converge bench: ${what}, ${opts.runs} runs`);
  try {
    const runs = opts.via === "controller" ? await viaController(opts, namespace) : await viaPulumi(opts, namespace);
    const stat = (xs: number[]) => `median ${secs(median(xs))} s (min ${secs(Math.min(...xs))}, max ${secs(Math.max(...xs))})`;
    console.log(
      `${what}: ${runs.length} runs, all synced at 101; to wired ${stat(runs.map((r) => r.wiredMs))}; to synced ${stat(runs.map((r) => r.syncedMs))}`,
    );
  } finally {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(`bench:converge FAILED: ${messageOf(err)}`);
  process.exitCode = 1;
});
