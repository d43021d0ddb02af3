// KWOK serves the kubelet API (logs, exec, port-forward) from per-pod config objects; the runner
// writes them for each pod it runs, owner-referenced to the pod so they go when it goes:
// - Logs: each container's CRI log file (and the previous run's);
// - Exec: KWOK runs the command on the host, with these envs, from its own PATH, where the exec
//   shims (exec-shim.ts) re-run it inside the container named by REGNET_EXEC_PIDFILE;
// - PortForward: per declared containerPort, a command that enters the pod's network namespace
//   and pipes the stream to 127.0.0.1:<port> there, as a kubelet does.
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { BIN } from "./container";
import { metrics } from "./metrics";
import { netnsName } from "./netns";
import { setTimeout as sleep } from "node:timers/promises";

const GROUP = "kwok.x-k8s.io";
const VERSION = "v1alpha1";
const FIELD_MANAGER = "regnet-node-runner";

/** The KWOK CRDs the runner uses (kwok-controller watches them: kwok.yaml's KwokConfiguration). */
const KWOK_CRDS = [
  { kind: "Logs", plural: "logs", singular: "logs" },
  { kind: "Exec", plural: "execs", singular: "exec" },
  { kind: "PortForward", plural: "portforwards", singular: "portforward" },
] as const;

/**
 * Makes the CRDs when kwokctl did not (it does only when its own configuration enables them); a
 * schema that keeps every field is enough for objects only this runner writes and kwok reads.
 */
export async function ensureKwokCrds(ext: k8s.ApiextensionsV1Api): Promise<string[]> {
  const made: string[] = [];
  for (const c of KWOK_CRDS) {
    const name = `${c.plural}.${GROUP}`;
    const exists = await ext.readCustomResourceDefinition({ name }).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    await ext
      .createCustomResourceDefinition({
        body: {
          metadata: { name },
          spec: {
            group: GROUP,
            scope: "Namespaced",
            names: { kind: c.kind, plural: c.plural, singular: c.singular, listKind: `${c.kind}List` },
            versions: [
              {
                name: VERSION,
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      })
      .catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
    made.push(name);
  }
  // Objects can be written once the API server serves the new resources.
  for (const name of made) {
    for (let i = 0; i < 50; i++) {
      const crd = await ext.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((cond) => cond.type === "Established" && cond.status === "True")) break;
      await sleep(100);
    }
  }
  return made;
}

function containerPidFile(podDir: string, container: string): string {
  return path.join(podDir, "containers", container, "pid");
}

export class KubeletObjects {
  constructor(
    private readonly custom: k8s.CustomObjectsApi,
    private readonly portForwardShim: string,
  ) {}

  /** Server-side applies the pod's Logs, Exec and PortForward objects. */
  async apply(pod: k8s.V1Pod, podDir: string, containers: k8s.V1Container[]): Promise<void> {
    const meta = {
      name: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      labels: { "app.kubernetes.io/managed-by": "regnet-node-runner" },
      ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: pod.metadata!.name!, uid: pod.metadata!.uid!, controller: false }],
    };
    const ns = netnsName(pod.metadata!.uid!);
    const ports = [
      ...new Set(containers.flatMap((c) => (c.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => p.containerPort))),
    ];
    const objects: Array<{ plural: string; kind: string; spec: object }> = [
      {
        plural: "logs",
        kind: "Logs",
        spec: {
          logs: containers.map((c) => ({
            containers: [c.name],
            logsFile: path.join(podDir, "logs", `${c.name}.log`),
            previousLogsFile: path.join(podDir, "logs", `${c.name}.previous.log`),
            follow: true,
          })),
        },
      },
      {
        plural: "execs",
        kind: "Exec",
        spec: {
          execs: containers.map((c) => ({
            containers: [c.name],
            local: { envs: [{ name: "REGNET_EXEC_PIDFILE", value: containerPidFile(podDir, c.name) }] },
          })),
        },
      },
      {
        plural: "portforwards",
        kind: "PortForward",
        spec: {
          forwards: ports.map((p) => ({
            ports: [p],
            command: [BIN.ip, "netns", "exec", ns, process.execPath, this.portForwardShim, String(p)],
          })),
        },
      },
    ];
    await Promise.all(
      objects.map((o) =>
        metrics.time(`apply ${o.kind}`, () =>
          this.custom.patchNamespacedCustomObject(
            {
              group: GROUP,
              version: VERSION,
              namespace: meta.namespace,
              plural: o.plural,
              name: meta.name,
              body: { apiVersion: `${GROUP}/${VERSION}`, kind: o.kind, metadata: meta, spec: o.spec },
              fieldManager: FIELD_MANAGER,
              force: true,
            },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply),
          ),
        ),
      ),
    );
  }
}
