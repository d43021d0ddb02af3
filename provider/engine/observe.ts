// Reading the world: the network's API objects, its pods, and — for Ready pods — what each node
// says over RPC (added peers, connected peers, tip, version), as one NodeView per pod (./node.ts),
// and the status that adds up to. Only reads: `observe` (Pulumi read/refresh) is built from these
// and makes no write of any kind.
import type * as k8s from "@kubernetes/client-node";
import { podReady } from "../kube";
import type { RpcCredentials } from "../rpc";
import { isOwnedByNetwork, selectorString } from "./labels";
import { NODE_CONTAINER, readCredentials, rpcSecretName } from "./desired";
import { recordedSpec } from "./apply";
import { computeStatus, networkLinks, type StatusInputs } from "./status";
import type { NodeView } from "./node";
import type { EngineContext } from "./context";
import type { BitcoinNetworkSpec, Implementation } from "../spec";
import type { NetworkRef, NetworkStatus, NetworkView } from "./types";
import { messageOf } from "../errors";

/** Waiting reasons of a container that is on its way up: nothing to report yet. */
const STARTING = new Set(["ContainerCreating", "PodInitializing"]);
/** How much of a failed run's log a problem quotes: its last lines, as one line. */
const QUOTED_LINES = 3;
const QUOTED_CHARS = 400;

/**
 * Why a node's pod is not Ready, from what the kubelet reports (pure): not scheduled, its node
 * container waiting for a reason other than starting (a missing Secret, an image it cannot pull),
 * or its last run ended — with the exit code and the run's last log lines, which the container's
 * `terminationMessagePolicy: FallbackToLogsOnError` puts in the status (e.g. "exited with code 1:
 * Error: Error parsing command line arguments: Invalid parameter -foo"). Undefined for a Ready pod
 * and for one that is only starting. Worded without restart counts or back-off delays, so that it
 * stays the same while the node keeps failing the same way (no status write, no Event per restart).
 */
export function nodeProblem(pod: k8s.V1Pod): string | undefined {
  if (podReady(pod)) return undefined;
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unscheduled) return cut(`not scheduled: ${[unscheduled.reason, unscheduled.message].filter(Boolean).join(": ")}`);
  const cs = pod.status?.containerStatuses?.find((c) => c.name === NODE_CONTAINER);
  if (!cs) return undefined;
  const ended = cs.state?.terminated ?? cs.lastState?.terminated;
  if (ended) {
    const why = ended.reason && !["Error", "Completed"].includes(ended.reason) ? ` (${ended.reason})` : "";
    const said = quoteLog(ended.message ?? "");
    return `container ${NODE_CONTAINER} exited with code ${ended.exitCode}${why}${said ? `: ${said}` : ""}`;
  }
  const waiting = cs.state?.waiting;
  if (waiting?.reason && !STARTING.has(waiting.reason))
    return cut(`container ${NODE_CONTAINER} waiting: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`);
  return undefined;
}

const cut = (s: string): string => (s.length <= QUOTED_CHARS * 2 ? s : `${s.slice(0, QUOTED_CHARS * 2 - 1)}…`);

/** A log tail's last non-empty lines as one line, ending kept when it is too long. */
function quoteLog(tail: string): string {
  const lines = tail
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-QUOTED_LINES)
    .join(" | ");
  return lines.length <= QUOTED_CHARS ? lines : `…${lines.slice(lines.length - QUOTED_CHARS + 1)}`;
}

/** The StatefulSet's pods as ordinals, lowest first. Pods being deleted count as not Ready. */
export async function readPods(ctx: EngineContext, ref: NetworkRef): Promise<NodeView[]> {
  const pods = await ctx.read.list<k8s.V1Pod>("Pod", ref.namespace, selectorString(ref.name));
  const prefix = `${ref.name}-`;
  return pods
    .map((p: k8s.V1Pod) => {
      const name = p.metadata?.name ?? "";
      const ordinal = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
      const view: NodeView = {
        ordinal,
        pod: name,
        uid: p.metadata?.uid ?? "",
        ip: p.status?.podIP,
        ready: podReady(p) && !!p.status?.podIP,
      };
      const problem = nodeProblem(p);
      if (problem) view.problem = problem;
      return view;
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
