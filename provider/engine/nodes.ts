// A network's nodes one at a time, for people and scripts (the `regnet` command): which networks
// exist, any RPC to one node, blocks mined on one node. Through the engine's own RPC client, so the
// access path (direct or API-server port-forward), TLS pinning and scrubbing are the same as for
// reconciles; the credentials are read from the network's Secret and never leave the client.
import type * as k8s from "@kubernetes/client-node";
import { readCredentials, rpcSecretName, MINING_ADDRESS } from "./desired";
import { allNetworksSelector, isOwnedByNetwork } from "./labels";
import { recordedSpec } from "./apply";
import { readPods } from "./observe";
import type { EngineContext } from "./context";
import type { BitcoinNetworkSpec } from "../spec";
import { authForms, scrub, type NodeTarget, type RpcCredentials } from "../rpc";
import type { NetworkRef } from "./types";
import { NetworkNotFoundError, NodeUnavailableError } from "./errors";

/** The networks regnet made (a StatefulSet labelled as a network's own), in `namespace` or all; sorted. */
export async function listNetworks(ctx: EngineContext, namespace: string | undefined): Promise<NetworkRef[]> {
  const sets = await ctx.read.list<k8s.V1StatefulSet>("StatefulSet", namespace, allNetworksSelector());
  return sets
    .map((s) => ({ name: s.metadata?.name ?? "", namespace: s.metadata?.namespace ?? "", sts: s }))
    .filter(({ sts, ...ref }) => isOwnedByNetwork(sts, ref) && !!recordedSpec(sts))
    .map(({ name, namespace: ns }) => ({ name, namespace: ns }))
    .sort((x, y) => x.namespace.localeCompare(y.namespace) || x.name.localeCompare(y.name));
}

async function networkSpec(ctx: EngineContext, ref: NetworkRef): Promise<BitcoinNetworkSpec> {
  const sts = await ctx.read.get<k8s.V1StatefulSet>("StatefulSet", ref.namespace, ref.name);
  const spec = sts && isOwnedByNetwork(sts, ref) ? recordedSpec(sts) : undefined;
  if (!spec) throw new NetworkNotFoundError(ref);
  return spec;
}

/** Where node `ordinal` answers RPC and with which credentials, or a NodeUnavailableError saying why not. */
async function nodeOf(ctx: EngineContext, ref: NetworkRef, ordinal: number): Promise<{ target: NodeTarget; creds: RpcCredentials }> {
  const spec = await networkSpec(ctx, ref);
  const network = `network ${ref.namespace}/${ref.name}`;
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= spec.nodes) {
    const range = spec.nodes === 0 ? "none: it is scaled to 0" : spec.nodes === 1 ? "0" : `0-${spec.nodes - 1}`;
    throw new NodeUnavailableError(`node ${ordinal}: ${network} has ${spec.nodes} node(s) (ordinals ${range})`);
  }
  const pod = (await readPods(ctx, ref)).find((p) => p.ordinal === ordinal);
  if (!pod) throw new NodeUnavailableError(`node ${ordinal} of ${network}: its pod does not exist yet`);
  if (!pod.ip) throw new NodeUnavailableError(`node ${ordinal} of ${network}: pod ${pod.pod} has no IP yet (not started)`);
  const secretName = rpcSecretName(ref, spec);
  const secret = await ctx.read.get<k8s.V1Secret>("Secret", ref.namespace, secretName);
  const credentials = secret && readCredentials(secret);
  if (!credentials)
    throw new NodeUnavailableError(`${network}: its RPC Secret ${ref.namespace}/${secretName} is missing or lacks user/password`);
  return {
    target: { namespace: ref.namespace, pod: pod.pod, ip: pod.ip, implementation: spec.implementation },
    creds: credentials,
  };
}

/**
 * Any RPC to node `ordinal`, its result as the node returned it. A failure is an RpcError naming the
 * method, the node and the node's error code; it is not repeated unless it was never sent (the
 * method may change the node).
 */
export async function callNode(ctx: EngineContext, ref: NetworkRef, ordinal: number, method: string, params: unknown[]): Promise<unknown> {
  const { target, creds } = await nodeOf(ctx, ref, ordinal);
  const result = await ctx.rpc.call(target, creds, method, params, { mayWrite: true });
  // Whatever a node answers (Core's `echo` returns its arguments), the credentials do not come out.
  return scrubValue(result, authForms(creds.user, creds.password));
}

/** `value` with every secret in its strings (keys and values) replaced, as RpcError messages are. */
function scrubValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return scrub(value, secrets);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k, secrets), scrubValue(v, secrets)]));
  }
  return value;
}

/** Mines `blocks` blocks on node `ordinal` (to the unspendable regtest address; btcd: its --miningaddr). */
export async function mineOn(
  ctx: EngineContext,
  ref: NetworkRef,
  ordinal: number,
  blocks: number,
): Promise<{ pod: string; hashes: string[] }> {
  const { target, creds } = await nodeOf(ctx, ref, ordinal);
  return { pod: target.pod, hashes: await ctx.rpc.node(target, creds).mine(blocks, MINING_ADDRESS) };
}
