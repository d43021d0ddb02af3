// The naive strategy, as a StatefulSet-and-loop controller does it: the same pods, but created one
// at a time (podManagementPolicy OrderedReady: each waits for the one before to be Ready), and on
// every change (a pod became Ready) every node is told to add every other node (a full mesh,
// re-sent whole, nothing read first). The initial blocks are mined once all nodes are there.
import { KubeObjects, podReady } from "../../provider/kube";
import { RpcClient, type NodeOps } from "../../provider/rpc";
import type { Implementation } from "../../provider/spec";
import { generateRpcCredentials } from "../../provider/engine/credentials";
import { MINING_ADDRESS, buildSecret, buildService, buildStatefulSet, secretHash } from "../../provider/engine/desired";
import { hostOf, peerAddress } from "../../provider/engine/node";
import { validateSpec } from "../../provider/spec";
import { defer } from "../lib/cleanup";
import { meanRss, nodePids, untilGone, type Sandbox } from "../lib/cluster";
import { loadAverage } from "../lib/procs";
import type { ConvergeRun } from "../lib/results";
import { setTimeout as sleep } from "node:timers/promises";

export async function runNaive(
  sb: Sandbox,
  namespace: string,
  name: string,
  impl: Implementation,
  nodes: number,
  timeoutMs: number,
): Promise<ConvergeRun> {
  const load = loadAverage();
  const parsed = validateSpec({ implementation: impl, nodes, topology: { type: "mesh" } });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join("; "));
  const spec = parsed.spec;
  const ref = { name, namespace };
  const creds = generateRpcCredentials(impl, name);
  const secret = buildSecret(ref, spec, creds);
  const sts = buildStatefulSet(ref, spec, { configHash: secretHash(secret) });
  sts.spec!.podManagementPolicy = "OrderedReady";
  const kube = new KubeObjects(sb.kc);
  const labelSelector = `regnet.dev/network=${name}`;
  const undo = defer(`naive network ${namespace}/${name}`, async () => {
    for (const kind of ["StatefulSet", "Service"] as const) await kube.delete(kind, namespace, name).catch(() => undefined);
    await kube.delete("Secret", namespace, secret.metadata!.name!).catch(() => undefined);
  });
  const rpc = new RpcClient({ kubeConfig: sb.kc, access: "direct", timeoutMs: 60_000 });
  try {
    const t0 = Date.now();
    await kube.create(secret);
    await kube.create(buildService(ref, spec));
    await kube.create(sts);
    let lastSet = "";
    let answeringMs: number | undefined;
    let wiredMs: number | undefined;
    let mined = false;
    for (;;) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`naive ${namespace}/${name}: not synced after ${timeoutMs / 1000} s`);
      const pods = (await sb.core.listNamespacedPod({ namespace, labelSelector })).items.filter((p) => podReady(p) && p.status?.podIP);
      const ready = pods.map((p) => ({ name: p.metadata!.name!, ip: p.status!.podIP! })).sort((a, b) => a.name.localeCompare(b.name));
      const ops: NodeOps[] = ready.map((p) => rpc.node({ namespace, pod: p.name, ip: p.ip, implementation: impl }, creds));
      const set = ready.map((p) => `${p.name}=${p.ip}`).join(",");
      if (set !== lastSet) {
        // A change: every node adds every other, whatever it has already.
        lastSet = set;
        await Promise.all(
          ops.map(async (o, i) => {
            for (const [j, peer] of ready.entries()) if (j !== i) await o.addPeer(peerAddress(peer.ip)).catch(() => undefined);
          }),
        );
      }
      if (ready.length === nodes) {
        answeringMs ??= Date.now() - t0;
        const peers = await Promise.all(ops.map((o) => o.peers().catch(() => [])));
        const full = peers.every((ps, i) => ready.every((p, j) => j === i || ps.some((x) => hostOf(x.addr) === p.ip)));
        if (full) wiredMs ??= Date.now() - t0;
        if (wiredMs !== undefined && !mined) {
          await ops[0].mine(101, MINING_ADDRESS);
          mined = true;
        }
        if (mined) {
          const tips = await Promise.all(ops.map((o) => o.tip().catch(() => undefined)));
          if (tips.every((t) => t && t.height >= 101 && t.bestBlockHash === tips[0]!.bestBlockHash)) {
            const syncedMs = Date.now() - t0;
            const podList = (await sb.core.listNamespacedPod({ namespace, labelSelector })).items;
            const pids = nodePids(sb, podList);
            const nodeRssMiB = meanRss(pids);
            const rpcWrites = rpc.counters.writes;
            const t1 = Date.now();
            await undo();
            const gone = await untilGone(sb, namespace, name, pids, false);
            return { answeringMs, wiredMs, syncedMs, teardownMs: gone - t1, nodeRssMiB, rpcWrites, load };
          }
        }
      }
      await sleep(250);
    }
  } finally {
    await rpc.close();
    await undo();
  }
}
