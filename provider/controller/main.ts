// regnet-controller: reconciles BitcoinNetwork resources. In a pod it uses its service account;
// elsewhere `--kubeconfig <file>`. With leader election (the default) only the replica holding the
// Lease runs workers; the others keep warm caches and take over when it goes away.
import * as fs from "node:fs";
import * as os from "node:os";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { createEngine, type Engine } from "../engine";
import { createLogger, type Logger } from "../log";
import { parseControllerArgs, USAGE, UsageError, type ControllerArgs } from "./args";
import { Controller } from "./controller";
import { errorText } from "../kube/errors";
import { LeaderElector } from "./leader";
import { startHealthServer } from "./server";

const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

function loadKubeConfig(args: ControllerArgs): { kubeConfig: k8s.KubeConfig; inCluster: boolean } {
  const kubeConfig = new k8s.KubeConfig();
  if (args.kubeconfig) {
    if (!fs.existsSync(args.kubeconfig))
      throw new UsageError(`--kubeconfig: no file at ${args.kubeconfig}: pass the path of a kubeconfig file`);
    kubeConfig.loadFromFile(args.kubeconfig);
    return { kubeConfig, inCluster: false };
  }
  if (!process.env.KUBERNETES_SERVICE_HOST) {
    throw new UsageError("not running in a pod (KUBERNETES_SERVICE_HOST is unset): pass --kubeconfig <file>");
  }
  kubeConfig.loadFromCluster();
  return { kubeConfig, inCluster: true };
}

function podNamespace(): string | undefined {
  try {
    return fs.readFileSync(SA_NAMESPACE_FILE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function main(argv: string[], log: Logger = createLogger("regnet-controller")): Promise<void> {
  const args = parseControllerArgs(argv);
  const { kubeConfig, inCluster } = loadKubeConfig(args);
  const host = process.env.HOSTNAME || os.hostname();
  const identity = args.identity ?? `${host}_${randomBytes(4).toString("hex")}`;
  const leaseNamespace = args.leaseNamespace ?? (inCluster ? podNamespace() : undefined) ?? "regnet-system";
  log.info({ inCluster, namespace: args.namespace ?? "(all)", identity, workers: args.workers, leaderElect: args.leaderElect }, "starting");

  let engine: Engine | undefined;
  const controller = new Controller({
    kubeConfig,
    engine: (caches) =>
      (engine = createEngine({
        kubeConfig,
        caches,
        rpcAccess: args.rpcAccess ?? (inCluster ? "direct" : "auto"),
        logger: log.child({ component: "engine" }),
      })),
    logger: log,
    namespace: args.namespace,
    secretNamespaces: args.secretNamespaces,
    workers: args.workers,
    resyncMs: args.resyncMs,
    identity: host,
  });
  const elector = args.leaderElect
    ? new LeaderElector({
        kubeConfig,
        namespace: leaseNamespace,
        name: args.leaseName,
        identity,
        leaseDurationMs: args.leaseDurationMs,
        renewDeadlineMs: args.renewDeadlineMs,
        retryPeriodMs: args.retryPeriodMs,
        logger: log,
      })
    : undefined;

  let shuttingDown = false;
  const server = await startHealthServer({
    port: args.httpPort,
    host: args.httpHost,
    registry: controller.metrics.registry,
    healthz: () => (shuttingDown ? { ok: false, reason: "shutting down" } : { ok: true }),
    readyz: () =>
      controller.synced() ? { ok: true } : { ok: false, reason: `caches not synced: ${controller.unsyncedInformers().join(", ")}` },
  });
  log.info({ port: server.port }, "serving /healthz, /readyz, /metrics");

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "shutting down");
    const drained = await controller.stop(args.shutdownGraceMs);
    // Release the Lease only when no reconcile is still running: otherwise a successor could act
    // while this process still writes. Unreleased, it expires after the lease duration.
    if (elector) {
      if (drained) await elector.stop();
      else log.warn("reconciles still in flight after the grace period: leaving the lease to expire");
    }
    await engine?.close().catch(() => undefined);
    await server.close();
    log.info("stopped");
    log.flush?.();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  await controller.startInformers();
  // As controller-runtime: caches that never load (no access, a broken token mount) are not
  // waited on forever; exiting lets the pod restart with fresh credentials, and says why.
  const syncDeadline = setTimeout(() => {
    if (controller.synced() || shuttingDown) return;
    log.fatal({ unsynced: controller.unsyncedInformers(), timeoutMs: args.cacheSyncTimeoutMs }, "caches did not sync in time: exiting");
    log.flush?.();
    process.exit(1);
  }, args.cacheSyncTimeoutMs);
  syncDeadline.unref();
  if (!elector) {
    controller.startWorkers();
    return;
  }
  controller.metrics.leader.set(0);
  elector.start({
    onStartedLeading: () => controller.startWorkers(),
    onStoppedLeading: () => {
      // Another replica may lead once the lease runs out (renew deadline < lease duration leaves a
      // few seconds): exit now, abandoning reconciles in flight (level-based: the next leader redoes
      // them), rather than drain alongside it. The Deployment restarts this one as a standby.
      log.error("leadership lost: exiting");
      log.flush?.();
      process.exit(1);
    },
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`regnet-controller: ${err.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    }
    createLogger("regnet-controller").fatal({ err: errorText(err) }, "controller failed to start");
    process.exit(1);
  });
}
