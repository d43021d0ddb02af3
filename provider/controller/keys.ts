// Which network an object belongs to, as a queue key "namespace/name". Pure.
// A network's StatefulSet, Service and Secret carry an owner reference to the BitcoinNetwork; its
// pods are owned by the StatefulSet, so for them (and for objects created before owner references
// were set) the `regnet.dev/network` label names the network.
import { GROUP, KIND } from "../spec";
import { NETWORK_LABEL } from "../engine/labels";

interface ObjectLike {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string }[];
  };
}

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  if (i <= 0 || i === key.length - 1) throw new Error(`bad queue key ${JSON.stringify(key)}: want "namespace/name"`);
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The key of a BitcoinNetwork itself. */
export function networkKey(obj: ObjectLike): string | undefined {
  const { name, namespace } = obj.metadata ?? {};
  return name && namespace ? keyOf(namespace, name) : undefined;
}

/** The key of the network that owns `obj` (owner reference first, then label), if any. */
export function ownerNetworkKey(obj: ObjectLike): string | undefined {
  const namespace = obj.metadata?.namespace;
  if (!namespace) return undefined;
  const owner = obj.metadata?.ownerReferences?.find((r) => r.kind === KIND && r.apiVersion.split("/")[0] === GROUP);
  if (owner) return keyOf(namespace, owner.name);
  const label = obj.metadata?.labels?.[NETWORK_LABEL];
  return label ? keyOf(namespace, label) : undefined;
}
