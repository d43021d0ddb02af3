// How the engine reaches a node's RPC port: directly at the pod IP where that is routable
// (in-cluster, the sandbox), otherwise through the API server's port-forward. "auto" decides on
// the first call by asking the node itself over the direct path (the caller's probe): a TCP
// connect alone proves nothing — a transparent proxy on the way accepts every connection and answers
// HTTP for any address. The answer is kept for the life of the client.
import type * as k8s from "@kubernetes/client-node";
import { openPortForward, type Forward } from "../kube/port-forward";
import type { Logger } from "../log";

export type RpcAccess = "auto" | "direct" | "port-forward";

export interface PodPort {
  namespace: string;
  pod: string;
  ip: string;
  port: number;
}

export interface Endpoint {
  host: string;
  port: number;
  via: "direct" | "port-forward";
}

/** What a direct attempt showed: the node answered, something else did (or nothing), or unclear. */
export type Probe = "routable" | "unroutable" | "unknown";

export class AccessResolver {
  private decided: "direct" | "port-forward" | undefined;
  /** The probe in flight, shared by the calls that arrive while it runs. */
  private probing: Promise<Probe> | undefined;
  /** Open port-forwards by `<namespace>/<pod>:<port>`, with the pod they reach. */
  private readonly forwards = new Map<string, { target: PodPort; forward: Promise<Forward> }>();

  constructor(
    private readonly kc: k8s.KubeConfig,
    mode: RpcAccess,
    private readonly logger: Logger,
  ) {
    if (mode !== "auto") this.decided = mode;
  }

  /** The access path in use, once known. */
  get mode(): "direct" | "port-forward" | undefined {
    return this.decided;
  }

  /** Where to send a call to `t`; `probe` is asked (once, shared) while "auto" is undecided. */
  async endpoint(t: PodPort, probe?: (direct: Endpoint) => Promise<Probe>): Promise<Endpoint> {
    if (!this.decided) {
      if (!probe) return this.forward(t);
      this.probing ??= probe({ host: t.ip, port: t.port, via: "direct" }).finally(() => (this.probing = undefined));
      const r = await this.probing;
      if (r === "unknown") return this.forward(t); // undecided: this call goes the safe way
      if (!this.decided) {
        this.decided = r === "routable" ? "direct" : "port-forward";
        this.logger.info({ access: this.decided, probed: `${t.ip}:${t.port}` }, "RPC access path chosen");
      }
    }
    return this.decided === "direct" ? { host: t.ip, port: t.port, via: "direct" } : this.forward(t);
  }

  private async forward(t: PodPort): Promise<Endpoint> {
    const key = `${t.namespace}/${t.pod}:${t.port}`;
    let f = this.forwards.get(key)?.forward;
    if (!f) {
      f = openPortForward(this.kc, t.namespace, t.pod, t.port, this.logger);
      this.forwards.set(key, { target: t, forward: f });
      f.catch(() => this.forwards.delete(key));
    }
    return { host: "127.0.0.1", port: (await f).port, via: "port-forward" };
  }

  /** Closes the forwards to pods of `namespace` for which `drop(pod)` is true (e.g. departed pods). */
  async prune(namespace: string, drop: (pod: string) => boolean): Promise<void> {
    for (const [key, { target, forward }] of this.forwards) {
      if (target.namespace === namespace && drop(target.pod)) {
        this.forwards.delete(key);
        await (await forward.catch(() => undefined))?.close();
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.forwards.values()];
    this.forwards.clear();
    await Promise.all(all.map(async ({ forward }) => (await forward.catch(() => undefined))?.close()));
  }
}
