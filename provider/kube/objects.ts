// One access layer over @kubernetes/client-node for the objects a network owns.
//
// Writes use server-side apply (fieldManager "regnet", force): the desired object is the whole
// intent, the API server merges it field by field, fields regnet stops setting are removed, and a
// field another manager took (e.g. `kubectl scale` on replicas) is taken back. Strategic merge
// would need us to compute removals ourselves. Apply is only sent when something differs: the
// engine compares a hash of the desired object (kept in an annotation) and the replicas, so a
// no-op reconcile makes no API writes at all.
import * as k8s from "@kubernetes/client-node";
import { apiStatus } from "./errors";

const FIELD_MANAGER = "regnet";

/** The kinds the engine reads and writes. */
export type Kind = "Secret" | "Service" | "StatefulSet" | "PersistentVolumeClaim" | "Pod";
const API_VERSION: Record<Kind, string> = { Secret: "v1", Service: "v1", StatefulSet: "apps/v1", PersistentVolumeClaim: "v1", Pod: "v1" };

/** How the engine reads objects: from the API server (KubeObjects), or from informer caches (CachedReader). */
export interface ObjectReader {
  get<T extends k8s.KubernetesObject>(kind: Kind, namespace: string, name: string): Promise<T | undefined>;
  /** `namespace` undefined: in every namespace. */
  list<T extends k8s.KubernetesObject>(kind: Kind, namespace: string | undefined, labelSelector: string): Promise<T[]>;
}

export type OwnerReference = k8s.V1OwnerReference;

export function isNotFound(err: unknown): boolean {
  return err instanceof k8s.ApiException && err.code === 404;
}

/** An API error as one readable line: what regnet tried, on which object, and the server's reason. */
export class KubeError extends Error {
  override readonly name = "KubeError";
  constructor(
    readonly verb: string,
    readonly kind: string,
    readonly namespace: string,
    readonly objectName: string,
    readonly code: number | undefined,
    reason: string,
  ) {
    super(`${verb} ${kind} ${namespace}/${objectName} failed${code ? ` (HTTP ${code})` : ""}: ${reason}`);
  }
}

/**
 * A write into a namespace that does not exist. Not transient, so it is reported at once. regnet does
 * not create the namespace: like `kubectl apply` and Pulumi's Kubernetes resources, it treats the
 * namespace as someone else's to make (with its quotas, labels and RBAC), and names the fix instead.
 */
export class NamespaceNotFoundError extends KubeError {
  constructor(verb: string, kind: string, namespace: string, objectName: string) {
    super(
      verb,
      kind,
      namespace,
      objectName,
      404,
      `namespace "${namespace}" does not exist, and regnet does not create namespaces: create it first ` +
        `(\`kubectl create namespace ${namespace}\`) or put the network in an existing namespace ` +
        `(Pulumi: config \`regnet:namespace\` or the network's \`namespace\`)`,
    );
  }
}

/** Rethrows client-node's ApiException (whose message holds raw headers and body) as a KubeError. */
function explain(verb: string, kind: string, namespace: string, name: string) {
  return (err: unknown): never => {
    const status = err instanceof k8s.ApiException ? apiStatus(err) : undefined;
    if (!status) throw err;
    let reason = status.message ?? "";
    // The API server answers a write into a missing namespace with 404 for the namespace itself.
    if (status.code === 404 && status.details?.kind === "namespaces") throw new NamespaceNotFoundError(verb, kind, namespace, name);
    if (status.code === 422 && /Forbidden: updates to statefulset spec/.test(reason)) {
      reason += ". A network's persistence cannot change once it exists: destroy and re-create the network to change it";
    }
    throw new KubeError(verb, kind, namespace, name, status.code, reason || `HTTP ${status.code}`);
  };
}

/** An object with the network's name that is not the network's own: regnet never modifies it. */
export class OwnershipError extends Error {
  override readonly name = "OwnershipError";
  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly objectName: string,
    readonly network: string,
    missing: string[],
  ) {
    super(
      `${kind} ${namespace}/${objectName} exists but is not network "${network}"'s own (missing label${missing.length > 1 ? "s" : ""} ${missing.join(", ")}); ` +
        `regnet leaves it untouched. Delete or rename it, or give the network another name` +
        (kind === "Secret" ? ", or name it in spec.rpc.secretName to use it as the network's credentials" : "") +
        ".",
    );
  }
}

/** Labels of `want` that `obj` lacks or carries with another value, as `k=v`. */
export function missingLabels(obj: { metadata?: { labels?: Record<string, string> } }, want: Record<string, string>): string[] {
  const have = obj.metadata?.labels ?? {};
  return labelPairs(Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v)));
}

export function hasOwner(obj: k8s.KubernetesObject, owner: OwnerReference): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.uid);
}

/**
 * The engine's access to the API server, through client-node's generic KubernetesObjectApi (which
 * reads, lists, applies and deletes any kind by its apiVersion and kind).
 */
export class KubeObjects implements ObjectReader {
  private readonly objects: k8s.KubernetesObjectApi;
  /** API writes made so far (create/apply/patch/delete). */
  writes = 0;
  /** API reads made so far (get/list). */
  reads = 0;
  /** Told of every write with the object as it now is (undefined: deleted), for a CachedReader. */
  onWrite?: (kind: Kind, namespace: string, name: string, now: k8s.KubernetesObject | undefined) => void;

  constructor(kc: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  }

  async get<T extends k8s.KubernetesObject>(kind: Kind, namespace: string, name: string): Promise<T | undefined> {
    this.reads++;
    try {
      return await this.objects.read<T>({ apiVersion: API_VERSION[kind], kind, metadata: { name, namespace } });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return explain("read", kind, namespace, name)(err);
    }
  }

  async list<T extends k8s.KubernetesObject>(kind: Kind, namespace: string | undefined, labelSelector: string): Promise<T[]> {
    this.reads++;
    const list = await this.objects
      .list<T>(API_VERSION[kind], kind, namespace, undefined, undefined, undefined, undefined, labelSelector)
      .catch(explain("list", kind, namespace ?? "(all namespaces)", labelSelector));
    return list.items;
  }

  async create<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    const { kind, namespace, name } = identity(obj);
    this.writes++;
    const created = await this.objects.create(obj, undefined, undefined, FIELD_MANAGER).catch(explain("create", kind, namespace, name));
    this.onWrite?.(kind, namespace, name, created);
    return created;
  }

  /** Server-side apply of the full desired object (see the top of this file for why). */
  async apply<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    const { kind, namespace, name } = identity(obj);
    this.writes++;
    const body = { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, managedFields: undefined } };
    const applied = await this.objects
      .patch(body, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply)
      .catch(explain("apply", kind, namespace, name));
    this.onWrite?.(kind, namespace, name, applied);
    return applied;
  }

  /** Adds an owner reference, keeping the ones already there (adoption of a labelled object). */
  async addOwner(kind: Kind, namespace: string, name: string, current: k8s.KubernetesObject, owner: OwnerReference): Promise<void> {
    this.writes++;
    const refs = [...(current.metadata?.ownerReferences ?? []), owner];
    // A JSON merge patch with resourceVersion fails on a concurrent change instead of losing it.
    const patched = await this.objects
      .patch(
        {
          apiVersion: API_VERSION[kind],
          kind,
          metadata: { name, namespace, ownerReferences: refs, resourceVersion: current.metadata?.resourceVersion },
        },
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        k8s.PatchStrategy.MergePatch,
      )
      .catch(explain("adopt", kind, namespace, name));
    this.onWrite?.(kind, namespace, name, patched);
  }

  /** Deletes; true when something was there. Pods go with their StatefulSet (background cascade). */
  async delete(kind: Kind, namespace: string, name: string): Promise<boolean> {
    try {
      this.writes++;
      await this.objects.delete(
        { apiVersion: API_VERSION[kind], kind, metadata: { name, namespace } },
        undefined,
        undefined,
        undefined,
        undefined,
        "Background",
      );
      this.onWrite?.(kind, namespace, name, undefined);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      return explain("delete", kind, namespace, name)(err);
    }
  }
}

/** The kind, namespace and name of an object the engine built (always set). */
function identity(obj: k8s.KubernetesObject): { kind: Kind; namespace: string; name: string } {
  return { kind: obj.kind as Kind, namespace: obj.metadata!.namespace!, name: obj.metadata!.name! };
}

/** `a=b` for each label. */
function labelPairs(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** `a=b,c=d` from a label map: an equality-based label selector. */
export function toSelector(labels: Record<string, string>): string {
  return labelPairs(labels).join(",");
}

export function podReady(pod: k8s.V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    pod.status?.phase === "Running" &&
    (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}
