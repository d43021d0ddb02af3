// RPC and API economy per reconcile: the engine driven directly (no controller, no Pulumi) on a
// network of its own, counting what it sends — RPC reads and writes (the engine's counters), API
// writes (the engine's count) and, independently, the API server's own count of requests for the
// network's resources. Steps: create (converge), a no-op reconcile, +k nodes (converge).
import { createEngine } from "../../provider/engine";
import { validateSpec, type BitcoinNetworkSpecInput } from "../../provider/spec";
import type { Implementation } from "../../provider/spec";
import { desiredEdges, expectedPeers } from "../../provider/engine/wiring/topology";
import { diffCounts, readWrite, scrape } from "../lib/apimetrics";
import { defer } from "../lib/cleanup";
import { networkPods, nodePids, untilGone, type Sandbox } from "../lib/cluster";
import type { EconomyCase, EconomyStep } from "../lib/results";

export interface EconomyOptions {
  impl: Implementation;
  nodes: number;
  added: number;
  topology: BitcoinNetworkSpecInput["topology"];
  timeoutMs: number;
}

/** The mean number of peers per node the topology asks for at `n` nodes. */
function meanDegree(topology: BitcoinNetworkSpecInput["topology"], n: number): number {
  const parsed = validateSpec({ nodes: n, topology });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join("; "));
  const edges = desiredEdges(parsed.spec.topology, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += expectedPeers(edges, i).length;
  return sum / n;
}

export async function runEconomy(sb: Sandbox, namespace: string, name: string, o: EconomyOptions): Promise<EconomyCase> {
  const engine = createEngine({ kubeConfig: sb.kc, rpcAccess: "direct" });
  const ref = { name, namespace };
  const specOf = (nodes: number) => {
    const r = validateSpec({ implementation: o.impl, nodes, topology: o.topology });
    if (!r.ok) throw new Error(r.issues.map((i) => i.message).join("; "));
    return r.spec;
  };
  const undo = defer(`engine network ${namespace}/${name}`, () => engine.destroy(ref, { wait: false }));
  const steps: EconomyStep[] = [];
  /** Runs `fn`, counting what it sent; `passes` is how many reconcile passes it made. */
  const measure = async (step: string, fn: () => Promise<number>) => {
    const rpc0 = engine.rpcCounters();
    const api0 = engine.apiWrites();
    const before = await scrape(sb.kc);
    const passes = await fn();
    const after = await scrape(sb.kc);
    const rpc1 = engine.rpcCounters();
    steps.push({
      step,
      passes,
      rpcReads: rpc1.reads - rpc0.reads,
      rpcWrites: rpc1.writes - rpc0.writes,
      engineApiWrites: engine.apiWrites() - api0,
      api: readWrite(diffCounts(after, before)),
    });
  };
  const converge = async (nodes: number) => {
    let passes = 0;
    await engine.converge(ref, specOf(nodes), { timeoutSeconds: o.timeoutMs / 1000, onProgress: () => passes++ });
    return passes;
  };
  try {
    await measure("create", () => converge(o.nodes));
    await measure("no-op", async () => {
      await engine.reconcile(ref, specOf(o.nodes));
      return 1;
    });
    await measure(`+${o.added} nodes`, () => converge(o.nodes + o.added));
    await measure("no-op after +k", async () => {
      await engine.reconcile(ref, specOf(o.nodes + o.added));
      return 1;
    });
    const pids = nodePids(sb, await networkPods(sb, namespace, name));
    await engine.destroy(ref, { wait: false });
    await untilGone(sb, namespace, name, pids, false);
    const typeName = o.topology?.type ?? "mesh";
    return {
      impl: o.impl,
      nodes: o.nodes,
      added: o.added,
      topology: typeName === "random" ? `random(${o.topology?.degree})` : typeName,
      degree: meanDegree(o.topology, o.nodes + o.added),
      steps,
    };
  } finally {
    await undo();
    await engine.close();
  }
}
