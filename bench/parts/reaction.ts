// How fast the in-cluster controller reacts, and what it costs idle:
// - a spec change (`.spec.nodes` patched) → the StatefulSet's replicas, seen through a watch;
// - a node process killed → the BitcoinNetwork's status shows that node not ready;
// - its RSS, idle, with a number of settled networks.
import * as k8s from "@kubernetes/client-node";
import { performance } from "node:perf_hooks";
import { GROUP, PLURAL, VERSION } from "../../provider/spec";
import { createNetwork, getNetwork, patchNetworkSpec, settled } from "../harness";
import { controllerPid, networkPods, nodePids, untilGone, type Sandbox } from "../lib/cluster";
import { defer } from "../lib/cleanup";
import { rssMiB } from "../lib/procs";
import type { ReactionResult } from "../lib/results";
import { setTimeout as sleep } from "node:timers/promises";

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

const settledAt = (sb: Sandbox, ns: string, name: string, nodes: number) =>
  poll(`${ns}/${name} to settle at ${nodes} nodes`, 180_000, async () => {
    const n = await getNetwork(sb.kc, name, ns);
    return settled(n) && n.status?.readyNodes === nodes && (n.status?.height ?? 0) >= 101 ? true : undefined;
  });

/** Spec change → StatefulSet replicas, `runs` times, alternating 1 ↔ 2 btcd nodes, settled in between. */
async function scaleReaction(sb: Sandbox, ns: string, runs: number, say: (l: string) => void): Promise<number[]> {
  const name = "react";
  await createNetwork(sb.kc, name, ns, { implementation: "btcd", nodes: 1 });
  await settledAt(sb, ns, name, 1);
  let waiter: { replicas: number; resolve: (t: number) => void } | undefined;
  const informer = k8s.makeInformer(sb.kc, `/apis/apps/v1/namespaces/${ns}/statefulsets`, () =>
    sb.apps.listNamespacedStatefulSet({ namespace: ns }),
  );
  const check = (sts: k8s.V1StatefulSet) => {
    if (waiter && sts.metadata?.name === name && sts.spec?.replicas === waiter.replicas) {
      const w = waiter;
      waiter = undefined;
      w.resolve(performance.now());
    }
  };
  informer.on("add", check);
  informer.on("update", check);
  await informer.start();
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const target = i % 2 === 0 ? 2 : 1;
      const seen = new Promise<number>((resolve) => (waiter = { replicas: target, resolve }));
      const t0 = performance.now();
      await patchNetworkSpec(sb.kc, name, ns, { nodes: target });
      const t1 = await Promise.race([
        seen,
        sleep(60_000).then(() => Promise.reject(new Error(`StatefulSet not scaled to ${target} within 60 s`))),
      ]);
      samples.push(t1 - t0);
      await settledAt(sb, ns, name, target);
      say(`reaction: spec change ${i + 1}/${runs} → replicas in ${(t1 - t0).toFixed(0)} ms`);
    }
  } finally {
    await informer.stop();
  }
  return samples;
}

/** A node process killed (SIGKILL, as an OOM kill would) → the status shows the node not ready. */
async function killReaction(sb: Sandbox, ns: string, runs: number, say: (l: string) => void): Promise<number[]> {
  const name = "kill";
  await createNetwork(sb.kc, name, ns, { implementation: "btcd", nodes: 3, topology: { type: "ring" } });
  await settledAt(sb, ns, name, 3);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const victim = (await networkPods(sb, ns, name)).find((p) => p.metadata?.name === `${name}-1`)!;
    const [pid] = nodePids(sb, [victim]);
    if (!pid) throw new Error(`no node process for pod ${name}-1`);
    const t0 = Date.now();
    process.kill(pid, "SIGKILL");
    await poll(
      "the status to show node 1 not ready",
      60_000,
      async () => {
        const n = await getNetwork(sb.kc, name, ns);
        return n.status?.nodes?.find((x) => x.ordinal === 1)?.ready === false ? true : undefined;
      },
      20,
    );
    samples.push(Date.now() - t0);
    say(`reaction: node killed ${i + 1}/${runs} → status in ${samples.at(-1)} ms`);
    await settledAt(sb, ns, name, 3);
  }
  return samples;
}

export async function runReaction(
  sb: Sandbox,
  ns: string,
  o: { scaleRuns: number; killRuns: number; idleNetworks: number },
  say: (l: string) => void,
): Promise<ReactionResult> {
  const undo = defer(`BitcoinNetworks in ${ns}`, () =>
    sb.custom
      .deleteCollectionNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
      .then(() => undefined),
  );
  try {
    const scaleMs = await scaleReaction(sb, ns, o.scaleRuns, say);
    const killMs = await killReaction(sb, ns, o.killRuns, say);
    await undo();
    await Promise.all(["react", "kill"].map((n) => untilGone(sb, ns, n, [], true)));

    // Idle: networks of one btcd node each, all settled, then the controller left alone.
    const names = Array.from({ length: o.idleNetworks }, (_, i) => `idle-${i}`);
    const undoIdle = defer(`idle networks in ${ns}`, () =>
      sb.custom
        .deleteCollectionNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
        .then(() => undefined),
    );
    for (const n of names) await createNetwork(sb.kc, n, ns, { implementation: "btcd", nodes: 1 });
    for (const n of names) await settledAt(sb, ns, n, 1);
    say(`reaction: ${names.length} networks settled; sampling the idle controller ...`);
    await sleep(5_000);
    const pid = await controllerPid(sb);
    const idleRssMiB: number[] = [];
    for (let i = 0; i < 10 && pid; i++) {
      const r = rssMiB(pid);
      if (r !== undefined) idleRssMiB.push(r);
      await sleep(1000);
    }
    const pids = nodePids(sb, (await sb.core.listNamespacedPod({ namespace: ns })).items);
    await undoIdle();
    await Promise.all(names.map((n) => untilGone(sb, ns, n, pids, true)));
    return { scaleMs, killMs, idleNetworks: names.length, idleRssMiB };
  } finally {
    await undo();
  }
}
