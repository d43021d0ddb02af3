// Reading the world: the network's API objects, its pods, and — for Ready pods — what each node
// says over RPC (added peers, connected peers, tip, version), as one NodeView per pod (./node.ts),
// and the status that adds up to. Only reads: `observe` (Pulumi read/refresh) is built from these
// and makes no write of any kind.
import type * as k8s from "@kubernetes/client-node";
import { podReady } from "../kube";
import type { RpcCredentials } from "../rpc";
import { isOwnedByNetwork, selectorString } from "./labels";
import { readCredentials, rpcSecretName } from "./desired";
import { recordedSpec } from "./apply";
import { computeStatus, networkLinks, type StatusInputs } from "./status";
import type { NodeView } from "./node";
import type { EngineContext } from "./context";
import type { BitcoinNetworkSpec, Implementation } from "../spec";
import type { NetworkRef, NetworkStatus, NetworkView } from "./types";
import { messageOf } from "../errors";

/** The StatefulSet's pods as ordinals, lowest first. Pods being deleted count as not Ready. */
export async function readPods(ctx: EngineContext, ref: NetworkRef): Promise<NodeView[]> {
  const pods = await ctx.read.list<k8s.V1Pod>("Pod", ref.namespace, selectorString(ref.name));
  const prefix = `${ref.name}-`;
  return pods
    .map((p: k8s.V1Pod) => {
      const name = p.metadata?.name ?? "";
      const ordinal = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
      return { ordinal, pod: name, uid: p.metadata?.uid ?? "", ip: p.status?.podIP, ready: podReady(p) && !!p.status?.podIP };
    })
    .filter((p) => Number.isInteger(p.ordinal))
    .sort((a, b) => a.ordinal - b.ordinal);
}

/** Asks every Ready node, in parallel (the RPC client bounds concurrency), what it knows. */
export async function readNodes(
  ctx: EngineContext,
  ref: NetworkRef,
  implementation: Implementation,
  creds: RpcCredentials,
  pods: NodeView[],
): Promise<NodeView[]> {
  return Promise.all(
    pods.map(async (p): Promise<NodeView> => {
      if (!p.ready || !p.ip) return p;
      const node = ctx.rpc.node({ namespace: ref.namespace, pod: p.pod, ip: p.ip, implementation }, creds);
      try {
        // One batched request per node; a pod's version cannot change: asked once per pod UID.
        const known = ctx.versions.get(p.uid);
        const snap = await node.snapshot({ version: known === undefined });
        const version = known ?? snap.version!;
        ctx.versions.set(p.uid, version);
        return { ...p, rpc: { added: snap.added, peers: snap.peers, tip: snap.tip, version } };
      } catch (err) {
        return { ...p, error: messageOf(err) };
      }
    }),
  );
}

/**
 * The network as it is — its recorded spec, status and every link the topology wants — with no
 * write of any kind. The spec comes from the StatefulSet's record of its last apply; `undefined`
 * when the network has no StatefulSet of its own.
 */
export async function inspect(ctx: EngineContext, ref: NetworkRef): Promise<NetworkView | undefined> {
  const sts = await ctx.read.get<k8s.V1StatefulSet>("StatefulSet", ref.namespace, ref.name);
  if (!sts || !isOwnedByNetwork(sts, ref)) return undefined;
  const spec = recordedSpec(sts);
  if (!spec) return undefined;
  const secret = await ctx.read.get<k8s.V1Secret>("Secret", ref.namespace, rpcSecretName(ref, spec));
  const credentials = secret && readCredentials(secret);
  const pods = await readPods(ctx, ref);
  const nodes = credentials
    ? await readNodes(
        ctx,
        ref,
        spec.implementation,
        credentials,
        pods.filter((p) => p.ordinal < spec.nodes),
      )
    : pods;
  const inputs = statusInputs(ctx, ref, spec, nodes, undefined);
  return { ref, spec, status: statusOf(ctx, ref, spec, nodes, undefined), links: networkLinks(inputs) };
}

/** The network's status from what is there, with no write of any kind (Pulumi read/refresh). */
export async function observe(ctx: EngineContext, ref: NetworkRef): Promise<NetworkStatus | undefined> {
  return (await inspect(ctx, ref))?.status;
}

/** What the status is computed from: the nodes as read, and the conditions the last pass reported. */
function statusInputs(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  nodes: NodeView[],
  generation: number | undefined,
): StatusInputs {
  return {
    name: ref.name,
    spec,
    nodes,
    rpcSecretName: rpcSecretName(ref, spec),
    generation,
    previous: ctx.lastConditions.get(`${ref.namespace}/${ref.name}`),
    now: new Date(),
  };
}

/**
 * The status of what was read, keeping each unchanged condition's lastTransitionTime from the last
 * pass. `record: false` for a look mid-pass, so only the status a pass reports becomes the next
 * pass's "last" conditions.
 */
export function statusOf(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  nodes: NodeView[],
  generation: number | undefined,
  { record = true }: { record?: boolean } = {},
): NetworkStatus {
  const status = computeStatus(statusInputs(ctx, ref, spec, nodes, generation));
  if (record) ctx.lastConditions.set(`${ref.namespace}/${ref.name}`, status.conditions);
  return status;
}
