// The runner's API client: all its calls share one connection pool. @kubernetes/client-node 2.0.1
// gives every request of its generated API clients a new undici Agent (applySecurityAuthentication
// → createDispatcher), so every call paid a new TCP connection and a TLS handshake with a client
// certificate — on the runner's one thread and on the API server — about 4× the time of a call on a
// kept-alive connection (200 reads: 5.0-6.9 s against 1.2-2.0 s, load 12-15). The informers' watches
// already share an agent (client-node's agentCache).
import * as k8s from "@kubernetes/client-node";

type RequestContext = Parameters<k8s.KubeConfig["applySecurityAuthentication"]>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

export class PooledKubeConfig extends k8s.KubeConfig {
  private dispatcher?: Dispatcher;

  /** Authenticates as client-node does, then sends through the first dispatcher it made, kept. */
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getDispatcher();
    if (!made) return; // plain HTTP without TLS options: fetch's global pool already reuses connections
    this.dispatcher ??= made;
    context.setDispatcher(this.dispatcher);
  }
}
