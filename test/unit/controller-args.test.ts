// The controller's command line and its HTTP endpoints (a real server on a free port).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseControllerArgs, UsageError } from "../../provider/controller/args";
import { createMetrics } from "../../provider/controller/metrics";
import { startHealthServer } from "../../provider/controller/server";

test("defaults: in-cluster, all namespaces, leader election on", () => {
  const a = parseControllerArgs([]);
  assert.equal(a.kubeconfig, undefined);
  assert.equal(a.namespace, undefined);
  assert.equal(a.secretNamespaces, undefined);
  assert.equal(a.workers, 2);
  assert.equal(a.resyncMs, 60_000);
  assert.equal(a.httpPort, 8080);
  assert.equal(a.leaderElect, true);
  assert.equal(a.leaseName, "regnet-controller");
  assert.deepEqual([a.leaseDurationMs, a.renewDeadlineMs, a.retryPeriodMs], [15_000, 10_000, 2_000]);
  assert.equal(a.cacheSyncTimeoutMs, 120_000);
});

test("flags are read", () => {
  const a = parseControllerArgs([
    "--kubeconfig",
    "/tmp/kc",
    "--namespace",
    "team-a",
    "--workers",
    "4",
    "--resync-seconds",
    "5",
    "--http-port",
    "0",
    "--leader-elect",
    "false",
    "--lease-duration-seconds",
    "4",
    "--renew-deadline-seconds",
    "3",
    "--retry-period-seconds",
    "0.5",
    "--rpc-access",
    "port-forward",
    "--leader-election-namespace",
    "x",
    "--secret-namespaces",
    "team-a,team-b",
  ]);
  assert.equal(a.kubeconfig, "/tmp/kc");
  assert.equal(a.namespace, "team-a");
  assert.equal(a.workers, 4);
  assert.equal(a.resyncMs, 5000);
  assert.equal(a.httpPort, 0);
  assert.equal(a.leaderElect, false);
  assert.deepEqual([a.leaseDurationMs, a.renewDeadlineMs, a.retryPeriodMs], [4000, 3000, 500]);
  assert.equal(a.rpcAccess, "port-forward");
  assert.equal(a.leaseNamespace, "x");
  assert.deepEqual(a.secretNamespaces, ["team-a", "team-b"]);
});

test("bad flags are refused with the flag named", () => {
  const bad: [string[], RegExp][] = [
    [["--workers", "0"], /--workers must be a number ≥ 1/],
    [["--workers", "many"], /--workers/],
    [["--rpc-access", "ssh"], /--rpc-access must be auto, direct or port-forward/],
    [["--leader-elect", "yes"], /--leader-elect must be true or false/],
    [["--no-such-flag"], /no-such-flag/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(
      () => parseControllerArgs(argv),
      (err: unknown) => err instanceof UsageError && re.test(err.message),
      argv.join(" "),
    );
  }
});

test("/healthz, /readyz and /metrics", async () => {
  let ready = false;
  const metrics = createMetrics(() => ({ ready: 3, delayed: 1 }));
  metrics.reconciles.inc({ result: "success" });
  metrics.leader.set(1);
  const server = await startHealthServer({
    port: 0,
    host: "127.0.0.1",
    registry: metrics.registry,
    healthz: () => ({ ok: true }),
    readyz: () => (ready ? { ok: true } : { ok: false, reason: "caches not synced: pods" }),
  });
  try {
    const get = (p: string) => fetch(`http://127.0.0.1:${server.port}${p}`);
    assert.equal((await get("/healthz")).status, 200);
    const notReady = await get("/readyz");
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /caches not synced: pods/);
    ready = true;
    assert.equal((await get("/readyz")).status, 200);
    const m = await get("/metrics");
    assert.equal(m.status, 200);
    assert.match(m.headers.get("content-type") ?? "", /text\/plain/);
    const text = await m.text();
    assert.match(text, /^regnet_controller_reconciles_total\{result="success"\} 1$/m);
    assert.match(text, /^regnet_controller_reconciles_total\{result="error"\} 0$/m);
    assert.match(text, /^regnet_controller_queue_depth\{state="ready"\} 3$/m);
    assert.match(text, /^regnet_controller_queue_depth\{state="delayed"\} 1$/m);
    assert.match(text, /^regnet_controller_leader 1$/m);
    assert.match(text, /^# TYPE regnet_controller_reconcile_duration_seconds histogram$/m);
    assert.match(text, /^regnet_controller_errors_total\{kind="informer"\} 0$/m);
    assert.equal((await get("/nope")).status, 404);
  } finally {
    await server.close();
  }
});
