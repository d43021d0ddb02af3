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
//   user named in spec.rpc.secretName: that is the user's, read and never written; what the nodes
//   mount is derived from its user/password into <network>-rpc-config, which regnet owns.
import * as crypto from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { OwnershipError, hasOwner, missingLabels, type Kind } from "../kube";
import type { BitcoinNetworkSpec } from "../spec";
import { credentialProblems, generateRpcCredentials, rpcauthLine, type NetworkCredentials } from "./credentials";
import {
  buildSecret,
  buildService,
  buildStatefulSet,
  readCredentials,
  rpcConfigSecretName,
  rpcSecretName,
  secretCredentials,
  secretFiles,
  secretHash,
} from "./desired";
import { isOwnedByNetwork, NETWORK_LABEL, ownerLabels } from "./labels";
import type { EngineContext } from "./context";
import type { Change, NetworkRef } from "./types";
import { stableJson } from "../json";

const APPLIED_HASH_ANNOTATION = "regnet.dev/applied-hash";
/** The spec the StatefulSet was last applied from, so a read-only `observe(ref)` knows the topology. */
const SPEC_ANNOTATION = "regnet.dev/spec";

export interface AppliedObjects {
  credentials: NetworkCredentials;
  secretName: string;
  statefulSet: k8s.V1StatefulSet;
}

/** Hash of what regnet wants an object to be. Replicas are left out: they are compared on their
 * own, so that a scale shows as a scale and not as an update. */
function desiredHash(obj: k8s.KubernetesObject): string {
  const o = obj as k8s.KubernetesObject & { spec?: { replicas?: number } };
  const body = o.spec && "replicas" in o.spec ? { ...o, spec: { ...o.spec, replicas: undefined } } : o;
  return crypto.createHash("sha256").update(stableJson(body)).digest("hex").slice(0, 20);
}

function ownershipError(kind: Kind, obj: k8s.KubernetesObject, ref: NetworkRef): OwnershipError {
  const missing = missingLabels(obj, ownerLabels(ref.name));
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
  const adopt = !!ref.owner && !hasOwner(observed, ref.owner);
  if (!stale && !extra.replicasDrift && !adopt) return observed;
  if (adopt) changes.push({ kind, name, action: "adopt", detail: `owner reference to ${ref.owner!.kind} ${ref.owner!.name} added` });
  if (stale) changes.push({ kind, name, action: "update", detail: `${kind} ${name} updated to the desired state` });
  if (extra.replicasDrift) changes.push({ kind, name, action: "scale", detail: extra.replicasDrift });
  return ctx.kube.apply(body);
}

/** The Secret named in spec.rpc.secretName cannot serve as the network's credentials (nothing was made). */
export class RpcSecretError extends Error {
  override readonly name = "RpcSecretError";
}

/** The user's Secret as credentials, or an error naming spec.rpc.secretName, what is wrong and the fix. */
function userCredentials(ref: NetworkRef, spec: BitcoinNetworkSpec, secret: k8s.V1Secret): NetworkCredentials {
  const name = secret.metadata!.name!;
  const creds = secretCredentials(secret);
  const problems = credentialProblems(spec.implementation, creds);
  if (problems.length > 0) {
    const tls = spec.implementation === "btcd" ? " --from-file=tls.crt=<cert.pem> --from-file=tls.key=<key.pem>" : "";
    throw new RpcSecretError(
      `spec.rpc.secretName: Secret ${ref.namespace}/${name} cannot be the network's RPC credentials: ${problems.join("; ")}. ` +
        `Fix the Secret (\`kubectl create secret generic ${name} --from-literal=user=<user> --from-literal=password=<password>${tls}\`) ` +
        `or remove spec.rpc.secretName to let regnet generate the credentials`,
    );
  }
  return { ...(creds as NetworkCredentials), rpcauth: "" };
}

/**
 * The Secret the nodes mount when the credentials are the user's: the same files regnet would have
 * generated, derived from the user's user/password (and btcd's certificate). Written only when it is
 * missing, lacks a file, or was derived from other credentials: the -rpcauth salt is random, so
 * re-deriving on every pass would roll the pods each time.
 */
async function applyDerivedSecret(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  creds: NetworkCredentials,
  observed: k8s.V1Secret | undefined,
  changes: Change[],
): Promise<k8s.V1Secret> {
  const name = rpcConfigSecretName(ref);
  const had = observed ? secretCredentials(observed) : undefined;
  const current =
    !!had &&
    (["user", "password", "tlsCert", "tlsKey"] as const).every((k) => had[k] === creds[k]) &&
    Object.keys(secretFiles(spec, creds)).every((k) => observed!.data?.[k] !== undefined);
  if (current) {
    if (ref.owner && !hasOwner(observed!, ref.owner)) {
      await ctx.kube.addOwner("Secret", ref.namespace, name, observed!, { ...ref.owner, controller: true, blockOwnerDeletion: true });
      changes.push({ kind: "Secret", name, action: "adopt", detail: `owner reference to ${ref.owner.kind} ${ref.owner.name} added` });
    }
    return observed!;
  }
  const from = `derived from Secret ${ref.namespace}/${spec.rpc!.secretName} (spec.rpc.secretName)`;
  changes.push(
    observed
      ? {
          kind: "Secret",
          name,
          action: "update",
          detail: `node RPC config Secret ${ref.namespace}/${name} ${from} again: the credentials changed`,
        }
      : { kind: "Secret", name, action: "create", detail: `created node RPC config Secret ${ref.namespace}/${name}, ${from}` },
  );
  creds = { ...creds, rpcauth: rpcauthLine(creds.user, creds.password) };
  return ctx.kube.apply(buildSecret(ref, spec, creds, name));
}

export async function applyObjects(
  ctx: EngineContext,
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  changes: Change[],
): Promise<AppliedObjects> {
  const secretName = rpcSecretName(ref, spec);
  const configName = rpcConfigSecretName(ref);
  const [secret, config, service, sts] = await Promise.all([
    ctx.read.get<k8s.V1Secret>("Secret", ref.namespace, secretName),
    ctx.read.get<k8s.V1Secret>("Secret", ref.namespace, configName),
    ctx.read.get<k8s.V1Service>("Service", ref.namespace, ref.name),
    ctx.read.get<k8s.V1StatefulSet>("StatefulSet", ref.namespace, ref.name),
  ]);

  // 1. Ownership of everything, and the user's Secret's contents, before any write.
  const userSecret =
    !!secret && !!spec.rpc?.secretName && !isOwnedByNetwork(secret, ref) && missingLabels(secret, { [NETWORK_LABEL]: ref.name }).length > 0;
  if (secret && !userSecret && !isOwnedByNetwork(secret, ref)) throw ownershipError("Secret", secret, ref);
  if (config && !isOwnedByNetwork(config, ref)) throw ownershipError("Secret", config, ref);
  if (service && !isOwnedByNetwork(service, ref)) throw ownershipError("Service", service, ref);
  if (sts && !isOwnedByNetwork(sts, ref)) throw ownershipError("StatefulSet", sts, ref);
  const given = userSecret ? userCredentials(ref, spec, secret) : undefined;

  // 2. The credentials: the user's Secret, read as it is, with the nodes' files derived into a
  // Secret of regnet's; or regnet's own Secret, created once and never regenerated.
  let credentials: NetworkCredentials;
  let mounted: k8s.V1Secret;
  if (given) {
    credentials = given;
    mounted = await applyDerivedSecret(ctx, ref, spec, given, config, changes);
  } else {
    let liveSecret = secret;
    if (!secret) {
      const creds = generateRpcCredentials(spec.implementation, ref.name);
      liveSecret = await ctx.kube.create(buildSecret(ref, spec, creds));
      changes.push({
        kind: "Secret",
        name: secretName,
        action: "create",
        detail: `created RPC credentials Secret ${ref.namespace}/${secretName}`,
      });
    } else if (ref.owner && !hasOwner(secret, ref.owner)) {
      await ctx.kube.addOwner("Secret", ref.namespace, secretName, secret, { ...ref.owner, controller: true, blockOwnerDeletion: true });
      changes.push({
        kind: "Secret",
        name: secretName,
        action: "adopt",
        detail: `owner reference to ${ref.owner.kind} ${ref.owner.name} added`,
      });
    }
    const own = readCredentials(liveSecret!);
    if (!own || credentialProblems(spec.implementation, own).length > 0) {
      throw new Error(
        `Secret ${ref.namespace}/${secretName}, made by regnet, lacks keys the network needs: delete it to let regnet generate it again`,
      );
    }
    credentials = own;
    mounted = liveSecret!;
  }

  // 3. Service and StatefulSet.
  await applyOwned(ctx, "Service", ref, buildService(ref, spec), service, changes);
  const desiredSts = buildStatefulSet(ref, spec, { configHash: secretHash(mounted), secretName: mounted.metadata!.name! });
  const observedReplicas = sts?.spec?.replicas;
  const drift = sts && observedReplicas !== spec.nodes ? `replicas ${observedReplicas ?? "unset"} → ${spec.nodes}` : undefined;
  const statefulSet = await applyOwned(ctx, "StatefulSet", ref, desiredSts, sts, changes, {
    // Without `nodes`: the StatefulSet's replicas say that, and a scale must not count as an update.
    annotations: { [SPEC_ANNOTATION]: stableJson({ ...spec, nodes: undefined }) },
    replicasDrift: drift,
  });

  // 4. A derived Secret the pods no longer mount (the network stopped using a user's Secret).
  if (!given && config && (await ctx.kube.delete("Secret", ref.namespace, configName))) {
    changes.push({
      kind: "Secret",
      name: configName,
      action: "delete",
      detail: `deleted node RPC config Secret ${ref.namespace}/${configName}: no longer used`,
    });
  }
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
