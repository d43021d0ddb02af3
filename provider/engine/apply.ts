// Bringing the network's API objects (Secret, Service, StatefulSet) to the desired state.
//
// Ownership first, writes second: all three are read and checked before anything is written, so a
// foreign object with the network's name stops the pass with nothing half-created.
// - missing → created (the Secret exactly once: its password is the network's identity);
// - present, labelled as the network's own → updated when the desired object changed (a hash of it
//   is kept in an annotation, so an unchanged desired object costs no write) or when replicas drifted
//   (e.g. a manual `kubectl scale`); an owner reference is added when the network has an owner
//   and the object lacks it (adoption);
// - present without the labels → OwnershipError, never modified. The one exception is a Secret the
//   user named in spec.rpc.secretName: that is the user's, read and used as is.
import * as crypto from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { OwnershipError, hasOwner, missingLabels, type Kind } from "../kube";
import type { BitcoinNetworkSpec } from "../spec";
import { generateRpcCredentials, type RpcCredentialSet } from "./credentials";
import { buildSecret, buildService, buildStatefulSet, readCredentials, rpcSecretName, secretHash } from "./desired";
import { isOwnedByNetwork, MANAGED_BY, NETWORK_LABEL } from "./labels";
import type { EngineContext } from "./context";
import type { Change, NetworkRef } from "./types";

export const APPLIED_HASH_ANNOTATION = "regnet.dev/applied-hash";
/** The spec the StatefulSet was last applied from, so a read-only `observe(ref)` knows the topology. */
export const SPEC_ANNOTATION = "regnet.dev/spec";

export interface AppliedObjects {
  credentials: RpcCredentialSet;
  secretName: string;
  statefulSet: k8s.V1StatefulSet;
}

/** Key-sorted JSON, so the hash does not depend on property order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Hash of what regnet wants an object to be. Replicas are left out: they are compared on their
 * own, so that a scale shows as a scale and not as an update. */
export function desiredHash(obj: k8s.KubernetesObject): string {
  const o = obj as k8s.KubernetesObject & { spec?: { replicas?: number } };
  const body = o.spec && "replicas" in o.spec ? { ...o, spec: { ...o.spec, replicas: undefined } } : o;
  return crypto.createHash("sha256").update(stableJson(body)).digest("hex").slice(0, 20);
}

function ownershipError(kind: Kind, obj: k8s.KubernetesObject, ref: NetworkRef): OwnershipError {
  const wanted = { [NETWORK_LABEL]: ref.name, "app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/instance": ref.name };
  const missing = missingLabels(obj, wanted);
  const controller = obj.metadata?.ownerReferences?.find((o) => o.controller);
  if (missing.length === 0 && controller) missing.push(`(controlled by ${controller.kind} ${controller.name}, not this network)`);
  return new OwnershipError(kind, ref.namespace, obj.metadata?.name ?? "?", ref.name, missing);
}

function withAnnotations<T extends k8s.KubernetesObject>(obj: T, extra: Record<string, string>): T {
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata?.annotations, ...extra } } };
}

/** Applies `desired` when it is missing or differs; returns the object as it now is. */
async function applyOwned<T extends k8s.KubernetesObject>(
  ctx: EngineContext,
  kind: Kind,
  ref: NetworkRef,
  desired: T,
  observed: T | undefined,
  changes: Change[],
  extra: { annotations?: Record<string, string>; replicasDrift?: string } = {},
): Promise<T> {
  const name = desired.metadata!.name!;
  const annotated = withAnnotations(desired, extra.annotations ?? {});
  const hash = desiredHash(annotated);
  const body = withAnnotations(annotated, { [APPLIED_HASH_ANNOTATION]: hash });
  if (!observed) {
    changes.push({ kind, name, action: "create", detail: `created ${kind} ${ref.namespace}/${name}` });
    return ctx.kube.apply(body);
  }
  const stale = observed.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== hash;
  const adopt = !!ref.owner && !hasOwner(observed, ref.owner as k8s.V1OwnerReference);
  if (!stale && !extra.replicasDrift && !adopt) return observed;
  if (adopt) changes.push({ kind, name, action: "adopt", detail: `owner reference to ${ref.owner!.kind} ${ref.owner!.name} added` });
  if (stale) changes.push({ kind, name, action: "update", detail: `${kind} ${name} updated to the desired state` });
  if (extra.replicasDrift) changes.push({ kind, name, action: "scale", detail: extra.replicasDrift });
  return ctx.kube.apply(body);
}

export async function applyObjects(ctx: EngineContext, ref: NetworkRef, spec: BitcoinNetworkSpec, changes: Change[]): Promise<AppliedObjects> {
  const secretName = rpcSecretName(ref, spec);
  const [secret, service, sts] = await Promise.all([
    ctx.kube.get<k8s.V1Secret>("Secret", ref.namespace, secretName),
    ctx.kube.get<k8s.V1Service>("Service", ref.namespace, ref.name),
    ctx.kube.get<k8s.V1StatefulSet>("StatefulSet", ref.namespace, ref.name),
  ]);

  // 1. Ownership of everything, before any write.
  const userSecret = !!secret && !!spec.rpc?.secretName && !isOwnedByNetwork(secret, ref) && missingLabels(secret, { [NETWORK_LABEL]: ref.name }).length > 0;
  if (secret && !userSecret && !isOwnedByNetwork(secret, ref)) throw ownershipError("Secret", secret, ref);
  if (service && !isOwnedByNetwork(service, ref)) throw ownershipError("Service", service, ref);
  if (sts && !isOwnedByNetwork(sts, ref)) throw ownershipError("StatefulSet", sts, ref);

  // 2. The credentials Secret: created once, never regenerated.
  let liveSecret = secret;
  if (!secret) {
    const creds = generateRpcCredentials(spec.implementation, ref.name);
    liveSecret = await ctx.kube.create(buildSecret(ref, spec, creds));
    changes.push({ kind: "Secret", name: secretName, action: "create", detail: `created RPC credentials Secret ${ref.namespace}/${secretName}` });
  } else if (!userSecret && ref.owner && !hasOwner(secret, ref.owner as k8s.V1OwnerReference)) {
    await ctx.kube.addOwner("Secret", ref.namespace, secretName, secret, { ...ref.owner, controller: true, blockOwnerDeletion: true });
    changes.push({ kind: "Secret", name: secretName, action: "adopt", detail: `owner reference to ${ref.owner.kind} ${ref.owner.name} added` });
  }
  const credentials = readCredentials(liveSecret!);
  if (!credentials) {
    throw new Error(`Secret ${ref.namespace}/${secretName} lacks the "user" and "password" keys regnet needs: fix the Secret or remove spec.rpc.secretName to let regnet generate one`);
  }
  if (spec.implementation === "btcd" && (!credentials.tlsCert || !credentials.tlsKey)) {
    throw new Error(`Secret ${ref.namespace}/${secretName} lacks "tls.crt"/"tls.key", which btcd's TLS-only RPC needs: add them or let regnet generate the Secret`);
  }

  // 3. Service and StatefulSet.
  await applyOwned(ctx, "Service", ref, buildService(ref, spec), service, changes);
  const desiredSts = buildStatefulSet(ref, spec, { configHash: secretHash(liveSecret!) });
  const observedReplicas = sts?.spec?.replicas;
  const drift = sts && observedReplicas !== spec.nodes ? `replicas ${observedReplicas ?? "unset"} → ${spec.nodes}` : undefined;
  const statefulSet = await applyOwned(ctx, "StatefulSet", ref, desiredSts, sts, changes, {
    // Without `nodes`: the StatefulSet's replicas say that, and a scale must not count as an update.
    annotations: { [SPEC_ANNOTATION]: stableJson({ ...spec, nodes: undefined }) },
    replicasDrift: drift,
  });
  return { credentials, secretName, statefulSet };
}

/** The spec recorded on the StatefulSet by the last apply (for read-only observe). */
export function recordedSpec(sts: k8s.V1StatefulSet): BitcoinNetworkSpec | undefined {
  const raw = sts.metadata?.annotations?.[SPEC_ANNOTATION];
  if (!raw) return undefined;
  try {
    return { ...(JSON.parse(raw) as Omit<BitcoinNetworkSpec, "nodes">), nodes: sts.spec?.replicas ?? 0 };
  } catch {
    return undefined;
  }
}
