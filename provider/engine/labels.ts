// Labels that mark an object as a network's own. An object with the right name but without them is
// someone else's, and the engine never touches it.
import type { NetworkRef } from "./types";

export const NETWORK_LABEL = "regnet.dev/network";
export const MANAGED_BY = "regnet";

/** The labels every object of a network carries (Kubernetes recommended labels + regnet's own). */
export function networkLabels(name: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "bitcoin-node",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": "node",
    "app.kubernetes.io/part-of": "regnet",
    "app.kubernetes.io/managed-by": MANAGED_BY,
    [NETWORK_LABEL]: name,
  };
}

/** The stable subset used as the StatefulSet/Service selector (selectors are immutable: keep it small). */
export function selectorLabels(name: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "bitcoin-node",
    "app.kubernetes.io/instance": name,
    [NETWORK_LABEL]: name,
  };
}

/** `k=v,k=v` form of selectorLabels, for list calls and the CRD scale subresource's status.selector. */
export function selectorString(name: string): string {
  return Object.entries(selectorLabels(name))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

interface ObjectWithMeta {
  metadata?: {
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string; controller?: boolean }[];
    namespace?: string;
  };
}

/**
 * True when the object belongs to this network: it carries the network's labels and is managed by
 * regnet, and, when the network has an owner object, is not controlled by a different one.
 */
export function isOwnedByNetwork(obj: ObjectWithMeta, ref: NetworkRef): boolean {
  const meta = obj.metadata ?? {};
  if (meta.namespace !== undefined && meta.namespace !== ref.namespace) return false;
  const labels = meta.labels ?? {};
  if (labels[NETWORK_LABEL] !== ref.name) return false;
  if (labels["app.kubernetes.io/managed-by"] !== MANAGED_BY) return false;
  if (labels["app.kubernetes.io/instance"] !== ref.name) return false;
  const controller = (meta.ownerReferences ?? []).find((o) => o.controller);
  if (controller && ref.owner && controller.uid !== ref.owner.uid) return false;
  return true;
}

/** The ownerReferences for a child of the network, when it has an owner object (the controller). */
export function ownerReferences(ref: NetworkRef) {
  if (!ref.owner) return undefined;
  return [{ ...ref.owner, controller: true, blockOwnerDeletion: true }];
}
