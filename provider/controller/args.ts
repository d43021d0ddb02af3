// The controller's command line (node:util parseArgs), with a usage error naming the bad flag.
import { parseArgs } from "node:util";
import type { RpcAccess } from "../rpc";

export const USAGE = `usage: regnet-controller [options]
  --kubeconfig <file>               run outside the cluster with this kubeconfig (default: in-cluster service account)
  --namespace <ns>                  watch BitcoinNetworks in this namespace only (default: all)
  --secret-namespaces <ns,...>      the only namespaces where RBAC lets the controller touch Secrets (default: all)
  --workers <n>                     concurrent reconciles (default 2)
  --resync-seconds <s>              reconcile every network at least this often (default 60)
  --http-port <port>                /healthz, /readyz, /metrics (default 8080; 0 = any free port)
  --http-host <addr>                address to listen on (default 0.0.0.0)
  --rpc-access <auto|direct|port-forward>  how to reach node RPC (default: direct in-cluster, auto outside)
  --leader-elect <true|false>       (default true)
  --leader-election-namespace <ns>  where the Lease lives (default: the pod's namespace, else regnet-system)
  --leader-election-id <name>       the Lease's name (default regnet-controller)
  --lease-duration-seconds <s>      (default 15)
  --renew-deadline-seconds <s>      (default 10)
  --retry-period-seconds <s>        (default 2)
  --identity <id>                   this replica's name in the Lease (default: <hostname>_<random>)
  --shutdown-grace-seconds <s>      wait this long for reconciles in flight on SIGTERM (default 20)
  --cache-sync-timeout-seconds <s>  exit (to be restarted) if the caches have not loaded by then (default 120)`;

export interface ControllerArgs {
  kubeconfig?: string;
  namespace?: string;
  secretNamespaces?: string[];
  workers: number;
  resyncMs: number;
  httpPort: number;
  httpHost: string;
  rpcAccess?: RpcAccess;
  leaderElect: boolean;
  leaseNamespace?: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity?: string;
  shutdownGraceMs: number;
  cacheSyncTimeoutMs: number;
}

/** Parses the command line; throws a usage error naming the bad flag. */
export function parseControllerArgs(argv: string[]): ControllerArgs {
  let parsed;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) throw new UsageError("");
  const num = (flag: keyof typeof values, min: number): number => {
    const v = Number(values[flag]);
    if (!Number.isFinite(v) || v < min) throw new UsageError(`--${flag} must be a number ≥ ${min}, got ${JSON.stringify(values[flag])}`);
    return v;
  };
  const rpcAccess = values["rpc-access"];
  if (rpcAccess !== undefined && !["auto", "direct", "port-forward"].includes(rpcAccess)) {
    throw new UsageError(`--rpc-access must be auto, direct or port-forward, got ${JSON.stringify(rpcAccess)}`);
  }
  const leaderElect = values["leader-elect"];
  if (leaderElect !== "true" && leaderElect !== "false")
    throw new UsageError(`--leader-elect must be true or false, got ${JSON.stringify(leaderElect)}`);
  return {
    kubeconfig: values.kubeconfig,
    namespace: values.namespace,
    secretNamespaces: values["secret-namespaces"]?.split(",").filter(Boolean),
    workers: Math.floor(num("workers", 1)),
    resyncMs: num("resync-seconds", 1) * 1000,
    httpPort: Math.floor(num("http-port", 0)),
    httpHost: values["http-host"],
    rpcAccess: rpcAccess as RpcAccess | undefined,
    leaderElect: leaderElect === "true",
    leaseNamespace: values["leader-election-namespace"],
    leaseName: values["leader-election-id"],
    leaseDurationMs: num("lease-duration-seconds", 1) * 1000,
    renewDeadlineMs: num("renew-deadline-seconds", 0.1) * 1000,
    retryPeriodMs: num("retry-period-seconds", 0.05) * 1000,
    identity: values.identity,
    shutdownGraceMs: num("shutdown-grace-seconds", 0) * 1000,
    cacheSyncTimeoutMs: num("cache-sync-timeout-seconds", 1) * 1000,
  };
}

export class UsageError extends Error {}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      kubeconfig: { type: "string" },
      namespace: { type: "string" },
      "secret-namespaces": { type: "string" },
      workers: { type: "string", default: "2" },
      "resync-seconds": { type: "string", default: "60" },
      "http-port": { type: "string", default: "8080" },
      "http-host": { type: "string", default: "0.0.0.0" },
      "rpc-access": { type: "string" },
      "leader-elect": { type: "string", default: "true" },
      "leader-election-namespace": { type: "string" },
      "leader-election-id": { type: "string", default: "regnet-controller" },
      "lease-duration-seconds": { type: "string", default: "15" },
      "renew-deadline-seconds": { type: "string", default: "10" },
      "retry-period-seconds": { type: "string", default: "2" },
      identity: { type: "string" },
      "shutdown-grace-seconds": { type: "string", default: "20" },
      "cache-sync-timeout-seconds": { type: "string", default: "120" },
      help: { type: "boolean", short: "h" },
    },
  });
}
