// The sync handler for one network key, after sample-controller's syncHandler: read the
// BitcoinNetwork from the informer cache, check its spec, let the engine make the world match it,
// then report: status through /status, Events for what changed. Throws on failure; the caller
// requeues with back-off.
import * as k8s from "@kubernetes/client-node";
import { OwnershipError, type Engine } from "../engine";
import type { NetworkStatus } from "../engine/types";
import type { Logger } from "../log";
import { API_VERSION, KIND, validateNetworkName, validateSpec, type SpecIssue } from "../spec";
import { errorText, statusCode } from "../kube/errors";
import { EventRecorder, type EventSpec, type EventTarget, eventsForChanges } from "./events";
import { splitKey } from "./keys";
import type { ReconcileResultLabel } from "./metrics";
import { describeIssues, sameStatus, statusAfterReconcile, statusBlocked, statusForInvalidSpec, truncate, writeStatus } from "./status";

export interface NetworkObject extends k8s.KubernetesObject {
  spec?: unknown;
  status?: Partial<NetworkStatus>;
}

export interface Outcome {
  result: Exclude<ReconcileResultLabel, "error">;
  requeueAfterMs?: number;
  /** What the pass changed (objects, peers, blocks). */
  changes?: number;
}

export interface ReconcilerDeps {
  engine: Pick<Engine, "reconcile">;
  networks: k8s.ObjectCache<k8s.KubernetesObject>;
  customObjects: k8s.CustomObjectsApi;
  events: EventRecorder;
  logger: Logger;
}

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<Outcome> {
    const { namespace, name } = splitKey(key);
    const obj: NetworkObject | undefined = this.deps.networks.get(name, namespace);
    // Gone, or going: its StatefulSet, Service and Secret carry owner references to it, so the
    // garbage collector removes them; nothing is left for the controller to do.
    if (!obj || obj.metadata?.deletionTimestamp) return { result: "deleted" };
    const generation = obj.metadata?.generation;
    const target = eventTarget(obj);

    const validation = validateSpec(obj.spec);
    const issues: SpecIssue[] = [...validateNetworkName(name), ...(validation.ok ? [] : validation.issues)];
    if (issues.length > 0 || !validation.ok) {
      await this.setStatus(obj, statusForInvalidSpec(obj.status, issues, generation, new Date()));
      await this.deps.events.record(target, {
        type: "Warning",
        reason: "InvalidSpec",
        message: truncate(`cannot apply this spec, nothing was changed; fix: ${describeIssues(issues)}`, 1024),
      });
      return { result: "invalid" };
    }

    const ref = { name, namespace, owner: { apiVersion: API_VERSION, kind: KIND, name, uid: obj.metadata!.uid! } };
    let result;
    try {
      result = await this.deps.engine.reconcile(ref, validation.spec, { generation });
    } catch (err) {
      if (!(err instanceof OwnershipError)) throw err;
      // An object with the network's name that is not its own is in the way: say so where users
      // look (status, a Warning), and retry with back-off in case it is removed.
      await this.setStatus(obj, statusBlocked(obj.status, "NotOwned", err.message, generation, new Date()));
      await this.deps.events.record(target, { type: "Warning", reason: "NotOwned", message: truncate(err.message, 1024) });
      throw new ReportedError(err);
    }
    for (const e of eventsForChanges(result.changes)) await this.deps.events.record(target, e);

    const status = statusAfterReconcile(obj.status, result.status, generation, new Date());
    await this.setStatus(obj, status);
    const wasReady = obj.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    const ready = status.conditions.find((c) => c.type === "Ready");
    if (ready?.status === "True" && !wasReady) {
      await this.deps.events.record(target, {
        type: "Normal",
        reason: "NetworkReady",
        message: truncate(ready.message || `${status.readyNodes} nodes ready, wired and synced`, 1024),
      });
    }
    this.deps.logger.debug(
      { network: key, generation, changes: result.changes.length, requeueAfterMs: result.requeueAfterMs },
      "reconciled",
    );
    const changes = result.changes.length;
    return result.requeueAfterMs !== undefined
      ? { result: "requeue", requeueAfterMs: result.requeueAfterMs, changes }
      : { result: "success", changes };
  }

  /** Records an Event about a network (used for failures the caller handles). */
  recordEvent(obj: k8s.KubernetesObject, e: EventSpec): Promise<boolean> {
    return this.deps.events.record(eventTarget(obj), e);
  }

  private async setStatus(obj: NetworkObject, status: NetworkStatus): Promise<void> {
    if (sameStatus(obj.status, status)) return;
    try {
      await writeStatus(this.deps.customObjects, obj.metadata!.namespace!, obj.metadata!.name!, status);
    } catch (err) {
      if (statusCode(err) === 404) return; // deleted meanwhile
      throw new StatusWriteError(err);
    }
  }
}

/** A failure already reported on the object (status, Event): retried, not reported again. */
export class ReportedError extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
  }
}

/** A failed /status write, told apart from engine errors in metrics. */
export class StatusWriteError extends Error {
  constructor(readonly cause: unknown) {
    super(`writing status: ${errorText(cause)}`);
  }
}

function eventTarget(obj: NetworkObject): EventTarget {
  return {
    apiVersion: obj.apiVersion ?? API_VERSION,
    kind: obj.kind ?? KIND,
    name: obj.metadata!.name!,
    namespace: obj.metadata!.namespace!,
    uid: obj.metadata!.uid!,
    resourceVersion: obj.metadata?.resourceVersion,
  };
}
