// Where the time to a synced network goes before regnet can act: when the network's pods all exist
// (the StatefulSet controller), all run their node container (scheduler + kubelet, here the
// sandbox's node runner) and are all Ready (the readiness probe). Seen through a watch, so each
// moment is when the API server had it, to the millisecond (object timestamps are whole seconds).
import * as k8s from "@kubernetes/client-node";
import type { Sandbox } from "./cluster";

export interface PodMilestones {
  podsCreatedMs?: number;
  podsRunningMs?: number;
  podsReadyMs?: number;
}

const running = (p: k8s.V1Pod) => !!p.status?.containerStatuses?.find((c) => c.name === "node")?.state?.running;
const ready = (p: k8s.V1Pod) => !!p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

/** Watches the pods of network `name` from `t0`; `stop()` returns the milestones reached. */
export async function watchPods(
  sb: Sandbox,
  namespace: string,
  name: string,
  nodes: number,
  t0: number,
): Promise<{ stop(): Promise<PodMilestones> }> {
  const labelSelector = `regnet.dev/network=${name}`;
  const informer = k8s.makeInformer(
    sb.kc,
    `/api/v1/namespaces/${namespace}/pods`,
    () => sb.core.listNamespacedPod({ namespace, labelSelector }),
    labelSelector,
  );
  const m: PodMilestones = {};
  const look = () => {
    const pods = informer.list(namespace);
    if (pods.length < nodes) return;
    const now = Date.now() - t0;
    m.podsCreatedMs ??= now;
    if (m.podsRunningMs === undefined && pods.every(running)) m.podsRunningMs = now;
    if (m.podsReadyMs === undefined && pods.every(ready)) m.podsReadyMs = now;
  };
  informer.on("add", look);
  informer.on("update", look);
  await informer.start();
  return {
    async stop() {
      await informer.stop();
      return m;
    },
  };
}
