// /healthz (the process is alive and its loops turn), /readyz (caches synced: a standby replica is
// ready too, so it can take over at once) and /metrics (Prometheus text format).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type * as prom from "prom-client";

interface Probe {
  ok: boolean;
  reason?: string;
}

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: prom.Registry;
  healthz: () => Probe;
  readyz: () => Probe;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n");
    switch (path) {
      case "/healthz":
      case "/livez":
        return probe(res, opts.healthz());
      case "/readyz":
        return probe(res, opts.readyz());
      case "/metrics":
        opts.registry.metrics().then(
          (text) => send(res, 200, text, opts.registry.contentType),
          (err) => send(res, 500, `${String(err)}\n`),
        );
        return;
      default:
        return send(res, 404, "not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function probe(res: http.ServerResponse, p: Probe): void {
  send(res, p.ok ? 200 : 503, p.ok ? "ok\n" : `${p.reason ?? "not ok"}\n`);
}

function send(res: http.ServerResponse, code: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(code, { "content-type": contentType });
  res.end(body);
}
