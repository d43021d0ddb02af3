// The controller's RBAC as Kubernetes decides it: requests made with a token minted for a
// ServiceAccount (TokenRequest) — writes as dry runs, so an allowed one stores nothing — and a 403
// or not is what RBAC decided. Used by platform-rbac.test.ts and the secrets/RBAC/PSS battery.
import * as assert from "node:assert/strict";
import * as https from "node:https";
import * as k8s from "@kubernetes/client-node";
import { kubeConfig } from "./cluster";

export type Requester = (method: string, path: string, body?: unknown) => Promise<number>;

/** Requests as `system:serviceaccount:<namespace>:<name>`, with a short-lived token of its own. */
export async function actAs(namespace: string, name: string): Promise<Requester> {
  const admin = kubeConfig();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { expirationSeconds: 600 } } });
  const cluster = admin.getCurrentCluster()!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "sa", token: tr.status!.token }],
    contexts: [{ name: "sa", cluster: cluster.name, user: "sa" }],
    currentContext: "sa",
  });
  return async (method, path, body) => {
    const opts: https.RequestOptions = { method, headers: {} };
    await kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload) {
      opts.headers = {
        ...opts.headers,
        "Content-Type": method === "PATCH" ? "application/merge-patch+json" : "application/json",
      };
    }
    return new Promise<number>((resolve, reject) => {
      const req = https.request(new URL(path, cluster.server), opts, (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy(); // a watch would stream on
      });
      req.on("error", reject);
      req.end(payload);
    });
  };
}

export interface Check {
  what: string;
  method: string;
  path: string;
  allow: boolean;
  body?: unknown;
  note?: string;
}

/** Runs the checks, prints the matrix, then fails on any row that is not as expected. */
export async function matrix(title: string, request: Requester, checks: Check[]): Promise<void> {
  const rows: string[] = [];
  const wrong: string[] = [];
  for (const c of checks) {
    const status = await request(c.method, c.path, c.body);
    assert.notEqual(status, 401, `the token was not accepted (${c.what})`);
    const allowed = status !== 403;
    const ok = allowed === c.allow;
    rows.push(
      `${ok ? "  " : "✗ "}${(allowed ? "allowed" : "FORBIDDEN").padEnd(10)} ${c.what.padEnd(58)} ${String(status).padEnd(4)}${c.note ? ` ${c.note}` : ""}`,
    );
    if (!ok) wrong.push(`${c.what}: want ${c.allow ? "allowed" : "forbidden"}, got HTTP ${status}`);
  }
  console.log(`\n${title}\n${rows.join("\n")}\n`);
  assert.deepEqual(wrong, [], "RBAC rows not as expected");
}

const DRY = "?dryRun=All";
const WATCH = "?watch=true&timeoutSeconds=1";

/** get/list/watch/create/update/patch/delete of one kind in one namespace (writes dry-run). */
export function crud(kind: string, collection: string, body: unknown, verbs: string[], allow: boolean, note?: string): Check[] {
  const item = `${collection}/rbac-probe`;
  const all: Record<string, Omit<Check, "allow" | "what">> = {
    get: { method: "GET", path: item },
    list: { method: "GET", path: collection },
    watch: { method: "GET", path: collection + WATCH },
    create: { method: "POST", path: collection + DRY, body },
    update: { method: "PUT", path: item + DRY, body },
    patch: { method: "PATCH", path: item + DRY, body: {} },
    delete: { method: "DELETE", path: item + DRY },
  };
  return verbs.map((v) => ({ what: `${v} ${kind}`, allow, note, ...all[v] }));
}

export const ALL = ["get", "list", "watch", "create", "update", "patch", "delete"];
export const named = (kind: string, apiVersion: string) => ({ apiVersion, kind, metadata: { name: "rbac-probe" } });

/** What the controller (charts-out as committed) must and must not be allowed, networks in `n`. */
export function controllerChecks(n: string): Check[] {
  const bn = `/apis/regnet.dev/v1alpha1/namespaces/${n}/bitcoinnetworks`;
  const leases = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  const lease = named("Lease", "coordination.k8s.io/v1");
  return [
    // needed
    ...crud("bitcoinnetworks", bn, undefined, ["get", "list", "watch"], true),
    {
      what: "list+watch bitcoinnetworks, all namespaces",
      method: "GET",
      path: "/apis/regnet.dev/v1alpha1/bitcoinnetworks" + WATCH,
      allow: true,
    },
    { what: "get bitcoinnetworks/status", method: "GET", path: `${bn}/rbac-probe/status`, allow: true },
    { what: "update bitcoinnetworks/status", method: "PUT", path: `${bn}/rbac-probe/status${DRY}`, body: {}, allow: true },
    { what: "patch bitcoinnetworks/status", method: "PATCH", path: `${bn}/rbac-probe/status${DRY}`, body: {}, allow: true },
    {
      what: "update bitcoinnetworks/finalizers (blockOwnerDeletion)",
      method: "PUT",
      path: `${bn}/rbac-probe/finalizers${DRY}`,
      body: {},
      allow: true,
    },
    ...crud("statefulsets", `/apis/apps/v1/namespaces/${n}/statefulsets`, named("StatefulSet", "apps/v1"), ALL, true),
    { what: "list+watch statefulsets, all namespaces", method: "GET", path: "/apis/apps/v1/statefulsets" + WATCH, allow: true },
    ...crud("services", `/api/v1/namespaces/${n}/services`, named("Service", "v1"), ALL, true),
    ...crud("secrets", `/api/v1/namespaces/${n}/secrets`, named("Secret", "v1"), ALL, true),
    ...crud("persistentvolumeclaims", `/api/v1/namespaces/${n}/persistentvolumeclaims`, undefined, ["get", "list", "delete"], true),
    ...crud("pods", `/api/v1/namespaces/${n}/pods`, undefined, ["get", "list", "watch"], true),
    { what: "list+watch pods, all namespaces", method: "GET", path: "/api/v1/pods" + WATCH, allow: true },
    { what: "create events", method: "POST", path: `/api/v1/namespaces/${n}/events${DRY}`, body: named("Event", "v1"), allow: true },
    { what: "patch events", method: "PATCH", path: `/api/v1/namespaces/${n}/events/rbac-probe${DRY}`, body: {}, allow: true },
    {
      what: "create events.k8s.io events",
      method: "POST",
      path: `/apis/events.k8s.io/v1/namespaces/${n}/events${DRY}`,
      body: named("Event", "events.k8s.io/v1"),
      allow: true,
    },
    {
      what: "patch events.k8s.io events",
      method: "PATCH",
      path: `/apis/events.k8s.io/v1/namespaces/${n}/events/rbac-probe${DRY}`,
      body: {},
      allow: true,
    },
    { what: "delete events", method: "DELETE", path: `/api/v1/namespaces/${n}/events/rbac-probe${DRY}`, allow: false },
    { what: "get lease regnet-system/regnet-controller", method: "GET", path: `${leases("regnet-system")}/regnet-controller`, allow: true },
    {
      what: "update lease regnet-system/regnet-controller",
      method: "PUT",
      path: `${leases("regnet-system")}/regnet-controller${DRY}`,
      body: lease,
      allow: true,
    },
    { what: "create leases in regnet-system", method: "POST", path: `${leases("regnet-system")}${DRY}`, body: lease, allow: true },
    // not needed: denied
    ...crud(
      "bitcoinnetworks (the user's spec)",
      bn,
      named("BitcoinNetwork", "regnet.dev/v1alpha1"),
      ["create", "update", "patch", "delete"],
      false,
    ),
    { what: "get nodes", method: "GET", path: "/api/v1/nodes/rbac-probe", allow: false },
    { what: "delete nodes", method: "DELETE", path: `/api/v1/nodes/rbac-probe${DRY}`, allow: false },
    ...crud(
      "deployments",
      `/apis/apps/v1/namespaces/${n}/deployments`,
      named("Deployment", "apps/v1"),
      ["get", "create", "update", "patch", "delete"],
      false,
    ),
    ...crud("pods", `/api/v1/namespaces/${n}/pods`, named("Pod", "v1"), ["create", "update", "patch", "delete"], false),
    { what: "create pods/portforward", method: "POST", path: `/api/v1/namespaces/${n}/pods/rbac-probe/portforward`, allow: false },
    { what: "create pods/exec", method: "POST", path: `/api/v1/namespaces/${n}/pods/rbac-probe/exec`, allow: false },
    ...crud(
      "persistentvolumeclaims",
      `/api/v1/namespaces/${n}/persistentvolumeclaims`,
      named("PersistentVolumeClaim", "v1"),
      ["create", "update", "patch"],
      false,
    ),
    ...crud("leases in kube-node-lease", leases("kube-node-lease"), lease, ["get", "list", "create", "update", "delete"], false),
    ...crud("leases in kube-system", leases("kube-system"), lease, ["get", "update"], false),
    ...crud("leases in a network's namespace", leases(n), lease, ["get", "create", "update"], false),
    ...crud("leases in regnet-system, another name", leases("regnet-system"), lease, ["get", "update", "patch", "delete"], false),
    ...crud("leases in regnet-system", leases("regnet-system"), lease, ["list", "watch"], false),
    ...crud("configmaps", `/api/v1/namespaces/${n}/configmaps`, named("ConfigMap", "v1"), ["get", "create"], false),
    {
      what: "create serviceaccounts/token",
      method: "POST",
      path: `/api/v1/namespaces/${n}/serviceaccounts/default/token`,
      body: {},
      allow: false,
    },
    { what: "create namespaces", method: "POST", path: `/api/v1/namespaces${DRY}`, body: named("Namespace", "v1"), allow: false },
    {
      what: "create clusterroles",
      method: "POST",
      path: `/apis/rbac.authorization.k8s.io/v1/clusterroles${DRY}`,
      body: named("ClusterRole", "rbac.authorization.k8s.io/v1"),
      allow: false,
    },
    {
      what: "create rolebindings",
      method: "POST",
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/rolebindings${DRY}`,
      body: named("RoleBinding", "rbac.authorization.k8s.io/v1"),
      allow: false,
    },
    // The honest row: RBAC cannot scope Secrets by owner or label, so with the default
    // (cluster-wide) install the controller *can* read Secrets that are not its own.
    ...crud(
      "secrets in kube-system (not its own)",
      "/api/v1/namespaces/kube-system/secrets",
      undefined,
      ["get", "list"],
      true,
      "← cluster-wide mode; see secretNamespaces",
    ),
  ];
}
