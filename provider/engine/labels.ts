// Labels that mark an object as a network's own. An object with the right name but without them is
// someone else's, and the engine never touches it.
import { missingLabels, toSelector } from "../kube";
import type { NetworkRef } from "./types";

export const NETWORK_LABEL = "regnet.dev/network";
const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
const INSTANCE_LABEL = "app.kubernetes.io/instance";
const NAME_LABEL = "app.kubernetes.io/name";
const MANAGED_BY = "regnet";

/** The labels every object of a network carries (Kubernetes recommended labels + regnet's own). */
export function networkLabels(name: string): Record<string, string> {
  return {
    [NAME_LABEL]: "bitcoin-node",
    [INSTANCE_LABEL]: name,
    "app.kubernetes.io/component": "node",
    "app.kubernetes.io/part-of": "regnet",
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [NETWORK_LABEL]: name,
  };
}

/** The stable subset used as the StatefulSet/Service selector (selectors are immutable: keep it small). */
export function selectorLabels(name: string): Record<string, string> {
  return { [NAME_LABEL]: "bitcoin-node", [INSTANCE_LABEL]: name, [NETWORK_LABEL]: name };
}

/** `k=v,k=v` form of selectorLabels, for list calls and the CRD scale subresource's status.selector. */
export function selectorString(name: string): string {
  return toSelector(selectorLabels(name));
}

/** Selects the objects of every network regnet made: managed by regnet, labelled with a network. */
export function allNetworksSelector(): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${NETWORK_LABEL}`;
}

/** The labels that make an object the network's own: checked before any write, selected by destroy. */
export function ownerLabels(name: string): Record<string, string> {
  return { [NETWORK_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: name };
}

interface ObjectWithMeta {
  metadata?: {
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string; controller?: boolean }[];
    namespace?: string;
  };
}

/**
 * True when the object belongs to this network: it carries the network's owner labels and, when the
 * network has an owner object, is not controlled by a different one.
 */
export function isOwnedByNetwork(obj: ObjectWithMeta, ref: NetworkRef): boolean {
  const meta = obj.metadata ?? {};
  if (meta.namespace !== undefined && meta.namespace !== ref.namespace) return false;
  if (missingLabels(obj, ownerLabels(ref.name)).length > 0) return false;
  const controller = (meta.ownerReferences ?? []).find((o) => o.controller);
  return !(controller && ref.owner && controller.uid !== ref.owner.uid);
}

/** The ownerReferences for a child of the network, when it has an owner object (the controller). */
export function ownerReferences(ref: NetworkRef) {
  if (!ref.owner) return undefined;
  return [{ ...ref.owner, controller: true, blockOwnerDeletion: true }];
}
