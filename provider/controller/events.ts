// Kubernetes Events about BitcoinNetworks (core/v1, what `kubectl describe` and `kubectl get
// events` show). As client-go's recorder, a repeat of the same event (object, type, reason,
// message) bumps `count` and `lastTimestamp` on the Event already written instead of adding one,
// so a network failing the same way every back-off round does not flood the namespace.
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import type { Change } from "../engine/types";
import type { Logger } from "../log";
import { errorText } from "../kube/errors";
import { truncate } from "./status";

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

const REASONS: Record<Change["action"], string> = {
  create: "Created",
  update: "Updated",
  delete: "Deleted",
  adopt: "Adopted",
  scale: "Scaled",
  wire: "Wired",
  unwire: "Unwired",
  mine: "Mined",
};

/** One Normal event per kind of action in a reconcile's changes (pure): "Wired: node-0 → node-1, ...". */
export function eventsForChanges(changes: Change[]): EventSpec[] {
  const byAction = new Map<Change["action"], Change[]>();
  for (const c of changes) byAction.set(c.action, [...(byAction.get(c.action) ?? []), c]);
  return [...byAction].map(([action, cs]) => ({
    type: "Normal" as const,
    reason: REASONS[action] ?? "Changed",
    message: truncate(cs.map((c) => `${c.kind} ${c.name}${c.detail ? `: ${c.detail}` : ""}`).join("; "), 1024),
  }));
}

export class EventRecorder {
  private readonly api: k8s.CoreV1Api;
  /** Events written, by what makes them the same event → the Event's name and count. */
  private readonly seen = new Map<string, { name: string; count: number }>();

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly component: string,
    private readonly host: string,
    private readonly log: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  /** Records an event; never throws (an event is a courtesy, not part of the reconcile). */
  async record(target: EventTarget, e: EventSpec): Promise<boolean> {
    const now = new Date();
    const key = [target.uid, e.type, e.reason, e.message].join("\u0000");
    const prev = this.seen.get(key);
    try {
      if (prev) {
        const count = prev.count + 1;
        await this.api.patchNamespacedEvent(
          { namespace: target.namespace, name: prev.name, body: { count, lastTimestamp: now.toISOString() } },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        prev.count = count;
        return true;
      }
    } catch {
      // The Event expired (default TTL 1 h) or was deleted: write a new one.
    }
    try {
      const name = `${target.name}.${now.getTime().toString(16)}${randomBytes(3).toString("hex")}`;
      await this.api.createNamespacedEvent({
        namespace: target.namespace,
        body: {
          metadata: { name, namespace: target.namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.name,
            namespace: target.namespace,
            uid: target.uid,
            resourceVersion: target.resourceVersion,
          },
          type: e.type,
          reason: e.reason,
          message: e.message,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: this.component, host: this.host },
          reportingComponent: this.component,
          reportingInstance: this.host,
        },
      });
      this.seen.set(key, { name, count: 1 });
      if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
      return true;
    } catch (err) {
      this.log.warn({ err: errorText(err), reason: e.reason, network: `${target.namespace}/${target.name}` }, "could not record event");
      return false;
    }
  }
}
