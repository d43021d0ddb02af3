// What an interrupted `pulumi up` leaves in the state, settled the way a Pulumi user would by hand.
// A second Ctrl-C (or a killed CLI) stops `up` at once: each network it was creating stays in the
// state only as a pending CREATE, which Pulumi keeps until someone resolves it (`pulumi refresh`,
// interactively) and which `destroy` ignores — so destroy said "deleted" and left the network
// running. regnet knows each such network's id (`<namespace>/<name>`, from the pending create's own
// inputs), so the harness settles them:
//   - before `destroy`, a pending create of a network not in the state is adopted as that network
//     (what `refresh --import-pending-creates <urn> <id>` is for; in Pulumi 3.259 that flag dropped
//     the pending create without reading it, seen here), so destroy deletes it;
//   - after `up`, which created the network again (regnet adopts the objects it finds with its own
//     labels), a pending create whose network is now in the state is dropped.
// A single Ctrl-C needs none of this: Pulumi waits for the create in flight and records it.

/** The type of a BitcoinNetwork in Pulumi state. */
export const NETWORK_TYPE = "pulumi-nodejs:dynamic/regnet:BitcoinNetwork";

interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  [k: string]: unknown;
}

/** The part of an exported deployment these edits read and change. */
export interface Deployment {
  resources?: StateResource[];
  pending_operations?: { type: string; resource: StateResource }[];
}

const isNetworkCreate = (op: { type: string; resource: StateResource }) => op.type === "creating" && op.resource.type === NETWORK_TYPE;

/** Drops pending creates of networks the state now holds (pure, in place); returns their URNs. */
export function dropResolvedCreates(d: Deployment): string[] {
  const tracked = new Set((d.resources ?? []).map((r) => r.urn));
  const resolved = (d.pending_operations ?? []).filter((op) => isNetworkCreate(op) && tracked.has(op.resource.urn));
  d.pending_operations = (d.pending_operations ?? []).filter((op) => !resolved.includes(op));
  return resolved.map((op) => op.resource.urn);
}

/**
 * Turns each pending create of a network the state does not hold into that network (pure, in place):
 * its id is `<namespace>/<name>` from its inputs, and its outputs are its inputs (all `delete` needs:
 * name, namespace, how to reach the cluster, and the serialized provider). Returns the ids adopted.
 */
export function adoptPendingNetworks(d: Deployment): string[] {
  const tracked = new Set((d.resources ?? []).map((r) => r.urn));
  const adopted: string[] = [];
  const left = [];
  for (const op of d.pending_operations ?? []) {
    const { name, namespace } = op.resource.inputs ?? {};
    if (!isNetworkCreate(op) || tracked.has(op.resource.urn) || typeof name !== "string" || typeof namespace !== "string") {
      left.push(op);
      continue;
    }
    const id = `${namespace}/${name}`;
    (d.resources ??= []).push({ ...op.resource, id, outputs: { ...op.resource.inputs } });
    adopted.push(id);
  }
  d.pending_operations = left;
  return adopted;
}
