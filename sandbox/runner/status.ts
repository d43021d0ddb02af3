// Pure pod-status rules (phase, conditions, back-off), kept apart from the process handling so
// they can be checked by table tests.
import type * as k8s from "@kubernetes/client-node";
import { backoffDelay } from "../../provider/backoff";

export type RestartPolicy = "Always" | "OnFailure" | "Never";

/** Whether a container that exited with `exitCode` is started again. */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
}

/** Kubelet's crash back-off: 10 s, doubling per consecutive crash, capped at 5 minutes. */
export function backoffSeconds(consecutiveCrashes: number): number {
  return backoffDelay(consecutiveCrashes - 1, 10, 300);
}

export interface ContainerView {
  /** Started at least once and now running. */
  running: boolean;
  /** Exited and will not be started again. */
  terminatedFor?: { exitCode: number };
}

/** The pod phase from its init containers' and containers' states. */
export function podPhase(init: { done: boolean; failed: boolean }, containers: ContainerView[], everStarted: boolean): string {
  if (init.failed) return "Failed";
  if (!init.done) return "Pending";
  if (containers.some((c) => c.running)) return "Running";
  if (containers.every((c) => c.terminatedFor)) {
    return containers.every((c) => c.terminatedFor!.exitCode === 0) ? "Succeeded" : "Failed";
  }
  // Some waiting: before the first start that is Pending; in a restart back-off it is Running.
  return everStarted ? "Running" : "Pending";
}

/** Keeps a condition's lastTransitionTime unless its status changed. */
export function condition(
  previous: k8s.V1PodCondition[] | undefined,
  type: string,
  status: boolean,
  reason?: string,
  message?: string,
): k8s.V1PodCondition {
  const s = status ? "True" : "False";
  const prev = previous?.find((c) => c.type === type);
  const c: k8s.V1PodCondition = {
    type,
    status: s,
    lastProbeTime: null as unknown as undefined,
    lastTransitionTime: prev && prev.status === s && prev.lastTransitionTime ? prev.lastTransitionTime : new Date(),
  };
  if (!status && reason) c.reason = reason;
  if (!status && message) c.message = message;
  return c;
}
