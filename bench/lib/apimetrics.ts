// The API server's own request counter (apiserver_request_total, from its /metrics): an
// independent count of what reached it, by verb and resource. It is cluster-wide, so the bench
// reads the resources a network consists of apart from the background (leases, nodes, events of
// the control plane itself).
import * as https from "node:https";
import type * as k8s from "@kubernetes/client-node";

export type Counts = Map<string, number>;

const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY", "CREATE", "UPDATE"]);
const READ_VERBS = new Set(["GET", "LIST", "WATCH"]);
/** What a network is made of, and what regnet reads for it. */
export const NETWORK_RESOURCES = ["secrets", "services", "statefulsets", "pods", "bitcoinnetworks", "persistentvolumeclaims"];
/** What regnet itself writes: pods are written by the StatefulSet controller, the scheduler and the kubelet (here the node runner). */
const REGNET_WRITES = ["secrets", "services", "statefulsets", "bitcoinnetworks", "persistentvolumeclaims"];

/** `apiserver_request_total` samples as `VERB resource[/subresource]` → count (codes summed). */
export function parseRequestTotals(text: string): Counts {
  const out: Counts = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const end = line.lastIndexOf("}");
    const labels = Object.fromEntries([...line.slice(24, end).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(end + 1).trim()));
  }
  return out;
}

export function diffCounts(after: Counts, before: Counts): Counts {
  const out: Counts = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

export interface ReadWrite {
  reads: number;
  writes: number;
  /** The non-zero counts, `VERB resource` → n, for the JSON. */
  detail: Record<string, number>;
}

/** Reads of `reads` and writes of `writes` resources (`/status` and other subresources included). */
export function readWrite(
  delta: Counts,
  reads: readonly string[] = NETWORK_RESOURCES,
  writes: readonly string[] = REGNET_WRITES,
): ReadWrite {
  const out: ReadWrite = { reads: 0, writes: 0, detail: {} };
  for (const [key, n] of delta) {
    const [verb, sub] = key.split(" ");
    const res = sub.split("/")[0];
    // A StatefulSet's status is the StatefulSet controller's to write.
    if (WRITE_VERBS.has(verb) && writes.includes(res) && sub !== "statefulsets/status") out.writes += n;
    else if (READ_VERBS.has(verb) && reads.includes(res)) out.reads += n;
    else continue;
    out.detail[key] = n;
  }
  return out;
}

/** GET /metrics of the API server the kubeconfig names, parsed. */
export async function scrape(kc: k8s.KubeConfig): Promise<Counts> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const opts: https.RequestOptions = { hostname: server.hostname, port: server.port, path: "/metrics", method: "GET" };
  await kc.applyToHTTPSOptions(opts);
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.request(opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
  return parseRequestTotals(text);
}
