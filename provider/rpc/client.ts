// The RPC client: one per engine. JSON-RPC over axios, the node's dialect, the access path
// (direct or port-forward), TLS pinning for btcd, bounded concurrency, retries with back-off on
// warm-up (-28) and refused connections, timeouts, read/write counters. Errors are RpcError:
// method, node and code, scrubbed of credentials.
import * as http from "node:http";
import * as https from "node:https";
import * as crypto from "node:crypto";
import type { PeerCertificate } from "node:tls";
import axios, { type AxiosResponse } from "axios";
import type * as k8s from "@kubernetes/client-node";
import { AccessResolver, type Endpoint, type Probe, type RpcAccess } from "./access";
import { dialectFor, type Implementation, type NodeOps } from "./dialect";
import { RpcError, authForms, isRetryable, scrub } from "./errors";
import { silentLogger, type Logger } from "../log";

export interface NodeTarget {
  namespace: string;
  pod: string;
  ip: string;
  implementation: Implementation;
}

export interface RpcCredentials {
  user: string;
  password: string;
  /** btcd's RPC certificate (PEM): the only certificate the client accepts from that node. */
  certPem?: string;
}

export interface RpcClientOptions {
  kubeConfig: k8s.KubeConfig;
  access?: RpcAccess;
  logger?: Logger;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Calls in flight at once, across all nodes. */
  concurrency?: number;
  /** Attempts per call on warm-up / refused connection. */
  attempts?: number;
}

export interface RpcCounters {
  reads: number;
  writes: number;
}

/** Writes whose repetition is harmless (the dialect tolerates "already added"/"not found"). */
const IDEMPOTENT_WRITES = new Set(["addnode", "disconnectnode", "node"]);

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** An https.Agent that accepts exactly one certificate, whatever name the node is dialled by. */
export function pinnedAgent(certPem: string): https.Agent {
  const pinned = new crypto.X509Certificate(certPem).raw;
  return new https.Agent({
    keepAlive: true,
    ca: certPem,
    // Pod IPs are not in the certificate, so the name check is replaced by an exact match.
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      cert.raw && pinned.equals(cert.raw) ? undefined : new Error("the node's TLS certificate is not the network's pinned certificate"),
  });
}

export class RpcClient {
  readonly counters: RpcCounters = { reads: 0, writes: 0 };
  private readonly access: AccessResolver;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly limit: Semaphore;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgents = new Map<string, https.Agent>();
  private nextId = 1;

  constructor(opts: RpcClientOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.access = new AccessResolver(opts.kubeConfig, opts.access ?? "auto", this.logger);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = opts.attempts ?? 6;
    this.limit = new Semaphore(opts.concurrency ?? 8);
  }

  /** The access path in use ("direct" | "port-forward"), once the first call decided it. */
  get accessMode(): string | undefined {
    return this.access.mode;
  }

  node(target: NodeTarget, creds: RpcCredentials): NodeOps {
    return dialectFor(target.implementation).ops((method, params) => this.call(target, creds, method, params));
  }

  async call<T>(target: NodeTarget, creds: RpcCredentials, method: string, params: unknown[]): Promise<T> {
    const dialect = dialectFor(target.implementation);
    const write = dialect.isWrite(method, params);
    const repeatable = !write || IDEMPOTENT_WRITES.has(method);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.limit.run(() => this.once<T>(target, creds, method, params, write));
      } catch (err) {
        if (attempt >= this.attempts || !isRetryable(err, !repeatable)) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** (attempt - 1))));
      }
    }
  }

  private async once<T>(target: NodeTarget, creds: RpcCredentials, method: string, params: unknown[], write: boolean): Promise<T> {
    const dialect = dialectFor(target.implementation);
    const node = `${target.namespace}/${target.pod}`;
    const secrets = authForms(creds.user, creds.password);
    const fail = (code: number | string, detail: string) => new RpcError(method, node, code, scrub(detail, secrets));
    if (dialect.tls && !creds.certPem) throw fail("NO_CERT", "btcd RPC is TLS-only and the network's Secret holds no certificate");

    const ep = await this.access.endpoint({ namespace: target.namespace, pod: target.pod, ip: target.ip, port: dialect.rpcPort }, (direct) =>
      this.probe(target, creds, direct),
    );
    if (write) this.counters.writes++;
    else this.counters.reads++;
    const id = this.nextId++;
    const started = Date.now();
    let res: AxiosResponse;
    try {
      res = await axios.post(
        `${dialect.tls ? "https" : "http"}://${ep.host}:${ep.port}/`,
        { jsonrpc: dialect.jsonrpc, id, method, params },
        {
          auth: { username: creds.user, password: creds.password },
          timeout: this.timeoutMs,
          httpAgent: this.httpAgent,
          httpsAgent: dialect.tls ? this.agentFor(creds.certPem!) : undefined,
          validateStatus: () => true, // RPC errors come back as 200 (2.0) or 500 (1.0) with a body
          responseType: "json",
          proxy: false,
          maxRedirects: 0,
        },
      );
    } catch (err) {
      // Never rethrow the axios error: its config holds the credentials.
      const e = err as { code?: string; message?: string };
      const code = e.code === "ECONNABORTED" || e.code === "ETIMEDOUT" ? "TIMEOUT" : (e.code ?? "TRANSPORT");
      throw fail(code, `${e.message ?? "request failed"} (via ${ep.via} ${ep.host}:${ep.port})`);
    }
    this.logger.debug({ node, method, via: ep.via, ms: Date.now() - started, status: res.status }, "rpc");
    const body = res.data as { result?: T; error?: { code: number; message: string } | null } | undefined;
    if (body && typeof body === "object" && body.error) throw fail(body.error.code, String(body.error.message));
    if (res.status === 401 || res.status === 403) throw fail(`HTTP_${res.status}`, "authentication failed: the node does not accept the network's RPC credentials");
    if (res.status !== 200 || !body || typeof body !== "object" || !("result" in body)) {
      throw fail(`HTTP_${res.status}`, `unexpected reply: ${typeof res.data === "string" ? res.data.slice(0, 200) : JSON.stringify(res.data)?.slice(0, 200)}`);
    }
    return body.result as T;
  }

  /**
   * Does the node itself answer at `direct`? Over btcd's pinned TLS any HTTP answer is the node;
   * over Core's plain HTTP, a JSON-RPC-shaped body or Core's `jsonrpc` auth realm. Not counted:
   * it is how the path is chosen, not a call the engine made.
   */
  private async probe(target: NodeTarget, creds: RpcCredentials, direct: Endpoint): Promise<Probe> {
    const dialect = dialectFor(target.implementation);
    try {
      const res = await axios.post(
        `${dialect.tls ? "https" : "http"}://${direct.host}:${direct.port}/`,
        { jsonrpc: dialect.jsonrpc, id: 0, method: "getblockcount", params: [] },
        {
          auth: { username: creds.user, password: creds.password },
          timeout: Math.min(this.timeoutMs, 2000),
          httpsAgent: dialect.tls ? this.agentFor(creds.certPem!) : undefined,
          validateStatus: () => true,
          proxy: false,
          maxRedirects: 0,
        },
      );
      const body = res.data as Record<string, unknown> | undefined;
      const rpcShaped = !!body && typeof body === "object" && ("result" in body || "error" in body);
      const coreRealm = /jsonrpc/i.test(String(res.headers["www-authenticate"] ?? ""));
      return dialect.tls || rpcShaped || coreRealm ? "routable" : "unroutable";
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ECONNREFUSED" || code === "ECONNRESET") return "unknown";
      return "unroutable"; // timeout, unreachable, or a TLS peer that is not the pinned node
    }
  }

  private agentFor(certPem: string): https.Agent {
    let a = this.httpsAgents.get(certPem);
    if (!a) {
      a = pinnedAgent(certPem);
      this.httpsAgents.set(certPem, a);
    }
    return a;
  }

  /** Closes port-forwards to pods of `namespace` for which `drop(pod)` is true. */
  prune(namespace: string, drop: (pod: string) => boolean): Promise<void> {
    return this.access.prune(namespace, drop);
  }

  async close(): Promise<void> {
    await this.access.close();
    this.httpAgent.destroy();
    for (const a of this.httpsAgents.values()) a.destroy();
    this.httpsAgents.clear();
  }
}
