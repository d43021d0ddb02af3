// The controller's Prometheus metrics (prom-client), on a registry of its own so tests can make
// several controllers in one process.
import * as prom from "prom-client";

export interface ControllerMetrics {
  registry: prom.Registry;
  reconciles: prom.Counter<"result">;
  errors: prom.Counter<"kind">;
  duration: prom.Histogram<"result">;
  leader: prom.Gauge;
}

export type ReconcileResultLabel = "success" | "requeue" | "error" | "invalid" | "deleted";

/** `queueDepth` is read at scrape time, so the gauge is never stale. */
export function createMetrics(queueDepth: () => { ready: number; delayed: number }): ControllerMetrics {
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: "regnet_controller_process_" });
  const reconciles = new prom.Counter({
    name: "regnet_controller_reconciles_total",
    help: "Reconciles of BitcoinNetworks, by result (success, requeue, error, invalid, deleted).",
    labelNames: ["result"],
    registers: [registry],
  });
  const errors = new prom.Counter({
    name: "regnet_controller_errors_total",
    help: "Errors, by kind (reconcile, status, event, informer).",
    labelNames: ["kind"],
    registers: [registry],
  });
  const duration = new prom.Histogram({
    name: "regnet_controller_reconcile_duration_seconds",
    help: "Time one reconcile of a BitcoinNetwork took, by result.",
    labelNames: ["result"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new prom.Gauge({
    name: "regnet_controller_queue_depth",
    help: "Network keys in the work queue: ready to process (state=ready) or waiting out a delay (state=delayed).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const d = queueDepth();
      this.set({ state: "ready" }, d.ready);
      this.set({ state: "delayed" }, d.delayed);
    },
  });
  const leader = new prom.Gauge({
    name: "regnet_controller_leader",
    help: "1 while this replica holds the leader Lease and runs workers, else 0.",
    registers: [registry],
  });
  leader.set(0);
  for (const result of ["success", "requeue", "error", "invalid", "deleted"] as const) reconciles.inc({ result }, 0);
  for (const kind of ["reconcile", "status", "event", "informer"] as const) errors.inc({ kind }, 0);
  return { registry, reconciles, errors, duration, leader };
}
