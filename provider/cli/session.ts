// What every command that talks to a cluster shares: the cluster options (one definition, so every
// command's --help lists them alike), the kubeconfig they select (the same rule as the Pulumi
// provider: provider/kube/kubeconfig.ts), the namespace as kubectl picks it, and one engine.
import { Option, type Command } from "commander";
import type * as k8s from "@kubernetes/client-node";
import type { Engine } from "../engine";
import type { RpcAccess } from "../rpc";
import { parseDuration } from "./args";
import { CliError, UsageError } from "./exit";

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  rpcAccess?: RpcAccess;
  rpcTimeout?: number;
  verbose?: boolean;
}

/** Adds the cluster options to `cmd`; `rpc: false` for commands that never talk to a node. */
export function withClusterOptions(cmd: Command, { rpc = true }: { rpc?: boolean } = {}): Command {
  cmd
    .option("--kubeconfig <file>", "kubeconfig file (default: $REGNET_KUBECONFIG, else $KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "kubeconfig context to use (default: its current-context)")
    .option("-n, --namespace <namespace>", "the network's namespace (default: the context's namespace, else default)");
  if (rpc) {
    cmd
      .addOption(
        new Option(
          "--rpc-access <path>",
          "how to reach the nodes' RPC: the pod IP, the API server's port-forward, or auto (pod IP if it answers)",
        )
          .choices(["auto", "direct", "port-forward"])
          .default("auto"),
      )
      .addOption(new Option("--rpc-timeout <duration>", "timeout of one RPC request").argParser(parseDuration).default(30_000, "30s"));
  }
  return cmd.option("-v, --verbose", "log what regnet does as JSON lines on stderr (credentials redacted)");
}

export interface Session {
  kubeConfig: k8s.KubeConfig;
  /** The namespace asked for (-n), else the context's, else "default". */
  namespace: string;
  engine: Engine;
  close(): Promise<void>;
}

const UNREACHABLE_FIX =
  "check --kubeconfig/--context (else $REGNET_KUBECONFIG, $KUBECONFIG, ~/.kube/config) or start the cluster " +
  '(the local sandbox: npm run sandbox -- up; eval "$(npm run -s sandbox -- env)")';

async function openSession(opts: ClusterOptions): Promise<Session> {
  // Loaded here, not at the top: the engine and @kubernetes/client-node take a second or two to load,
  // which --help and a usage error should not wait for.
  const { KubeconfigError, assertReachable, contextNamespace, loadKubeconfig } = await import("../kube/kubeconfig.js");
  const { createEngine } = await import("../engine/index.js");
  const { createLogger, silentLogger } = await import("../log.js");
  let kubeConfig: k8s.KubeConfig;
  try {
    kubeConfig = loadKubeconfig({ path: opts.kubeconfig, context: opts.context }).kubeConfig;
  } catch (err) {
    if (err instanceof KubeconfigError) throw new UsageError(err.message);
    throw err;
  }
  try {
    await assertReachable(kubeConfig, UNREACHABLE_FIX, 10_000);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const logger = opts.verbose ? createLogger("regnet", { level: "debug", stderr: true }) : silentLogger;
  const engine = createEngine({ kubeConfig, rpcAccess: opts.rpcAccess ?? "auto", rpcTimeoutMs: opts.rpcTimeout, logger });
  return {
    kubeConfig,
    namespace: opts.namespace ?? contextNamespace(kubeConfig),
    engine,
    close: () => engine.close(),
  };
}

/** Runs `fn` with a session, closing it (port-forwards, HTTP agents) whatever happens. */
export async function withSession<T>(opts: ClusterOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await openSession(opts);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
