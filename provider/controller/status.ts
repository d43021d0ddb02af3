// What the controller writes to a BitcoinNetwork's /status (pure), and the write itself.
// Conditions keep their lastTransitionTime while their status stays the same (the engine's
// transitionTime); every condition and the status carry the generation they describe
// (observedGeneration).
import { isDeepStrictEqual } from "node:util";
import * as k8s from "@kubernetes/client-node";
import type { Condition, NetworkStatus } from "../engine/types";
import { transitionTime } from "../engine/status";
import { GROUP, PLURAL, VERSION, type SpecIssue } from "../spec";

const CONDITION_TYPES = ["Ready", "Wired", "Synced"] as const;

/** Merges `next` conditions into `previous` ones (by type), stamping generation and keeping transition times. */
export function mergeConditions(
  previous: Condition[] | undefined,
  next: Condition[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return next.map((c) => ({ ...c, observedGeneration: generation, lastTransitionTime: transitionTime(previous, c.type, c.status, now) }));
}

/** The status to write after a reconcile of generation `generation`. */
export function statusAfterReconcile(
  previous: Partial<NetworkStatus> | undefined,
  engine: NetworkStatus,
  generation: number | undefined,
  now: Date,
): NetworkStatus {
  return clean({
    ...engine,
    observedGeneration: generation,
    conditions: mergeConditions(previous?.conditions, withAllTypes(engine.conditions), generation, now),
  });
}

/**
 * The status for a spec the controller cannot honour: Ready=False with the fields to fix; what the
 * network looked like before (nodes, wiring) stays, since nothing was changed.
 */
export function statusForInvalidSpec(
  previous: Partial<NetworkStatus> | undefined,
  issues: SpecIssue[],
  generation: number | undefined,
  now: Date,
): NetworkStatus {
  return statusBlocked(previous, "InvalidSpec", `spec cannot be applied; nothing was changed: ${describeIssues(issues)}`, generation, now);
}

/**
 * The status when the controller cannot act (an invalid spec, an object in the way that is not the
 * network's own): Ready=False with `reason` and `message`; Wired/Synced and the nodes as last seen.
 */
export function statusBlocked(
  previous: Partial<NetworkStatus> | undefined,
  reason: string,
  message: string,
  generation: number | undefined,
  now: Date,
): NetworkStatus {
  const blocked: Condition[] = CONDITION_TYPES.map((type) => {
    if (type === "Ready") return { type, status: "False", reason, message: truncate(message, 32_000), lastTransitionTime: "" };
    const prev = previous?.conditions?.find((c) => c.type === type);
    return prev ?? { type, status: "Unknown", reason, message: "not reconciled", lastTransitionTime: "" };
  });
  return clean({
    nodes: previous?.nodes ?? [],
    readyNodes: previous?.readyNodes ?? 0,
    selector: previous?.selector ?? "",
    wired: previous?.wired ?? false,
    synced: previous?.synced ?? false,
    height: previous?.height ?? 0,
    rpcSecretName: previous?.rpcSecretName ?? "",
    observedGeneration: generation,
    conditions: mergeConditions(previous?.conditions, blocked, generation, now),
  });
}

export function describeIssues(issues: SpecIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join("; ");
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** True if writing `next` over `current` would change nothing. */
export function sameStatus(current: unknown, next: NetworkStatus): boolean {
  return isDeepStrictEqual(clean(current ?? {}), clean(next));
}

/** Ready/Wired/Synced always present, in that order (Unknown if the engine left one out). */
function withAllTypes(conditions: Condition[]): Condition[] {
  const out: Condition[] = CONDITION_TYPES.map(
    (type) =>
      conditions.find((c) => c.type === type) ?? { type, status: "Unknown", reason: "NotReported", message: "", lastTransitionTime: "" },
  );
  return [...out, ...conditions.filter((c) => !(CONDITION_TYPES as readonly string[]).includes(c.type))];
}

/** JSON round trip: drops undefined fields, as the API server's stored form does. */
function clean<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Writes the whole status through the /status subresource (one JSON-patch op: no merge surprises). */
export async function writeStatus(api: k8s.CustomObjectsApi, namespace: string, name: string, status: NetworkStatus): Promise<void> {
  await api.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: [{ op: "add", path: "/status", value: status }] },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
  );
}
