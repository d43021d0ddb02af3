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
import { dialectFor, type NodeOps } from "./dialect";
import type { Implementation } from "../spec/constants";
import { RpcError, authForms, isRetryable, scrub } from "./errors";
import { silentLogger, type Logger } from "../log";
import { backoffDelay } from "../backoff";
import { setTimeout as sleep } from "node:timers/promises";

export interface NodeTarget {
  namespace: string;
  pod: string;
  ip: string;
  implementation: Implementation;
}

/** What the client signs in with (a network's credentials, engine/credentials.ts, carry more). */
export interface RpcCredentials {
  user: string;
  password: string;
  /** btcd's RPC certificate (PEM): the only certificate the client accepts from that node. */
  tlsCert?: string;
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
function pinnedAgent(certPem: string): https.Agent {
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
    return dialectFor(target.implementation).ops(
      (method, params) => this.call(target, creds, method, params),
      (calls) => this.batch(target, creds, calls),
    );
  }

  /**
   * One call. `mayWrite`: the method is not one of the engine's own (a user's `regnet rpc`), so it may
   * change the node in ways the dialect does not know: it is only repeated when it was never sent.
   */
  async call<T>(
    target: NodeTarget,
    creds: RpcCredentials,
    method: string,
    params: unknown[],
    opts: { mayWrite?: boolean } = {},
  ): Promise<T> {
    const write = dialectFor(target.implementation).isWrite(method);
    const repeatable = !opts.mayWrite && (!write || IDEMPOTENT_WRITES.has(method));
    return this.retrying(repeatable, async () => {
      const reply = await this.post(target, creds, [{ method, params }], method);
      const [body] = reply.bodies;
      if (!body) throw reply.fail(`HTTP_${reply.status}`, `unexpected reply: ${reply.text}`);
      if (body.error) throw reply.fail(body.error.code, String(body.error.message));
      if (reply.status !== 200 || !("result" in body)) throw reply.fail(`HTTP_${reply.status}`, `unexpected reply: ${reply.text}`);
      return body.result as T;
    });
  }

  /**
   * Several reads in one HTTP request (a JSON-RPC batch: Core and btcd both take them): one round
   * trip, and over port-forward one tunnel, instead of one per call. Each entry is its result or
   * its RpcError; a failure of the request itself throws.
   */
  async batch(target: NodeTarget, creds: RpcCredentials, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
    const dialect = dialectFor(target.implementation);
    if (calls.some((c) => dialect.isWrite(c.method))) throw new Error("batch is for reads only: writes are sent one by one");
    const label = calls.map((c) => c.method).join("+");
    return this.retrying(true, async () => {
      const reply = await this.post(target, creds, calls, label);
      if (reply.bodies.length !== calls.length || reply.status !== 200) {
        const e = reply.bodies.find((b) => b.error)?.error;
        throw e ? reply.fail(e.code, String(e.message)) : reply.fail(`HTTP_${reply.status}`, `unexpected reply: ${reply.text}`);
      }
      return reply.bodies.map((b, i) =>
        b.error ? new RpcError(calls[i].method, reply.node, b.error.code, reply.scrub(String(b.error.message))) : b.result,
      );
    });
  }

  private async retrying<T>(repeatable: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.limit.run(fn);
      } catch (err) {
        if (attempt >= this.attempts || !isRetryable(err, !repeatable)) throw err;
        await sleep(backoffDelay(attempt - 1, 200, 2000));
      }
    }
  }

  /** One HTTP request carrying `calls` (a batch when there are several), counted per call. */
  private async post(target: NodeTarget, creds: RpcCredentials, calls: { method: string; params: unknown[] }[], label: string) {
    const dialect = dialectFor(target.implementation);
    const node = `${target.namespace}/${target.pod}`;
    const secrets = authForms(creds.user, creds.password);
    const scrubbed = (text: string) => scrub(text, secrets);
    const fail = (code: number | string, detail: string) => new RpcError(label, node, code, scrubbed(detail));
    if (dialect.tls && !creds.tlsCert) throw fail("NO_CERT", "btcd RPC is TLS-only and the network's Secret holds no certificate");

    const ep = await this.access.endpoint(
      { namespace: target.namespace, pod: target.pod, ip: target.ip, port: dialect.rpcPort },
      (direct) => this.probe(target, creds, direct),
    );
    for (const c of calls) {
      if (dialect.isWrite(c.method)) this.counters.writes++;
      else this.counters.reads++;
    }
    const requests = calls.map((c) => ({ jsonrpc: dialect.jsonrpc, id: this.nextId++, method: c.method, params: c.params }));
    const started = Date.now();
    let res: AxiosResponse;
    try {
      res = await axios.post(`${dialect.tls ? "https" : "http"}://${ep.host}:${ep.port}/`, requests.length === 1 ? requests[0] : requests, {
        auth: { username: creds.user, password: creds.password },
        timeout: this.timeoutMs,
        httpAgent: this.httpAgent,
        httpsAgent: dialect.tls ? this.agentFor(creds.tlsCert!) : undefined,
        validateStatus: () => true, // RPC errors come back as 200 (2.0) or 500 (1.0) with a body
        responseType: "json",
        proxy: false,
        maxRedirects: 0,
      });
    } catch (err) {
      // Never rethrow the axios error: its config holds the credentials.
      const e = err as { code?: string; message?: string };
      const code = e.code === "ECONNABORTED" || e.code === "ETIMEDOUT" ? "TIMEOUT" : (e.code ?? "TRANSPORT");
      throw fail(code, `${e.message ?? "request failed"} (via ${ep.via} ${ep.host}:${ep.port})`);
    }
    this.logger.debug({ node, method: label, via: ep.via, ms: Date.now() - started, status: res.status }, "rpc");
    if (res.status === 401 || res.status === 403)
      throw fail(`HTTP_${res.status}`, "authentication failed: the node does not accept the network's RPC credentials");
    type Body = { id?: number; result?: unknown; error?: { code: number; message: string } | null };
    const data = res.data as unknown;
    const list = (Array.isArray(data) ? data : data && typeof data === "object" ? [data] : []) as Body[];
    // Batch replies may come in any order: match them by id.
    const byId = new Map(list.map((b) => [b.id, b]));
    const bodies = requests.length === 1 ? list.slice(0, 1) : requests.flatMap((r) => (byId.has(r.id) ? [byId.get(r.id)!] : []));
    const text = typeof data === "string" ? data.slice(0, 200) : (JSON.stringify(data) ?? "").slice(0, 200);
    return { status: res.status, bodies, text, node, fail, scrub: scrubbed };
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
          httpsAgent: dialect.tls ? this.agentFor(creds.tlsCert!) : undefined,
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
