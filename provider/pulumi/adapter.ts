// The BitcoinNetwork provider's real implementation, loaded at call time by the trampolines in
// ./provider.ts inside Pulumi's dynamic-provider process (so none of this is serialized into state).
// Thin by design: validation is the spec's, the diff is ./diff.ts, and everything that touches the
// cluster or a node is the engine's. Credentials are read here, per call: the kubeconfig from the
// `kubeconfig` input (a Pulumi secret), the `kubeconfigPath` input, $REGNET_KUBECONFIG or $KUBECONFIG;
// the RPC password never leaves its Secret (outputs carry only `rpcSecretName`).
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type * as pulumi from "@pulumi/pulumi";
import {
  NamespaceNotFoundError,
  OwnershipError,
  RpcSecretError,
  createEngine,
  type Engine,
  type NetworkRef,
  type NetworkStatus,
} from "../engine";
import { createLogger, type Logger } from "../log";
import { validateKnownParts, validateNetworkName, validateSpec, type BitcoinNetworkSpec } from "../spec";
import { checkNetwork } from "./check";
import { diffNetwork } from "./diff";
import { outputsOf } from "./outputs";
import { kubeconfigFile } from "./project-dir";
import type { NetworkInputs } from "./types";

/** What the provider methods are given (Pulumi types them `any`): the checked inputs, or for read and
 * delete the saved outputs, which hold the inputs, plus Pulumi's hidden `__provider`. */
type Props = NetworkInputs & Record<string, unknown>;

export const DEFAULT_CONVERGE_TIMEOUT_SECONDS = 600;
/** `delete` waits at least this long for the pods to go: a pod may take its whole termination grace
 * period to stop (Core nodes in the sandbox take ~15 s), so a convergeTimeoutSeconds small enough to
 * fail a create must not also fail the destroy that cleans it up. */
export const MIN_DELETE_WAIT_SECONDS = 120;

let cachedLogger: Logger | undefined;
/**
 * The Pulumi CLI shows every line the provider process prints as a diagnostic of the stack, so the
 * engine's JSON log goes to a file: $REGNET_LOG_FILE, else .regnet/logs/pulumi-provider.log of the
 * checkout this adapter was built in (not the working directory: for `pulumi up` that is the
 * program's folder, infra/pulumi/), with the shared logger's redaction. Progress for the CLI is a
 * short line on stderr (see `progress`).
 */
function logger(): Logger {
  if (!cachedLogger) {
    const checkout = path.resolve(__dirname, "..", "..", ".."); // <checkout>/dist/provider/pulumi
    const file = process.env.REGNET_LOG_FILE ?? path.join(checkout, ".regnet", "logs", "pulumi-provider.log");
    cachedLogger = createLogger("regnet-pulumi", { file });
  }
  return cachedLogger;
}

/** One line per state change, shown by the CLI while `up` waits: "alpha: 3/3 ready, 1/3 wired, 2/3 at height 101". */
function progress(ref: NetworkRef, s: NetworkStatus, last: { line?: string }): void {
  const wired = s.nodes.filter((n) => n.ready && n.peers >= n.expectedPeers).length;
  const atTip = s.nodes.filter((n) => n.ready && n.height === s.height).length;
  const line = `${ref.name}: ${s.readyNodes}/${s.nodes.length} ready, ${wired}/${s.nodes.length} wired, ${atTip}/${s.nodes.length} at height ${s.height}`;
  if (line !== last.line) process.stderr.write(`${line}\n`);
  last.line = line;
}

function kubeConfigOf(props: Props): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (typeof props.kubeconfig === "string") {
    kc.loadFromString(props.kubeconfig);
    return kc;
  }
  const file = props.kubeconfigPath ? kubeconfigFile(props.kubeconfigPath) : (process.env.REGNET_KUBECONFIG ?? process.env.KUBECONFIG);
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/** One GET /version before a call touches anything: a kubeconfig whose server does not answer fails at
 * once, naming the server and the fix, instead of being retried until the converge deadline. */
async function assertReachable(kc: k8s.KubeConfig): Promise<void> {
  const server = kc.getCurrentCluster()?.server ?? "(none: the kubeconfig names no cluster)";
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no answer within 15 s")), 15_000)));
  try {
    await Promise.race([kc.makeApiClient(k8s.VersionApi).getCode(), silence]);
  } catch (err) {
    if (err instanceof k8s.ApiException) return; // it answered: what it refuses, the engine's own calls report
    const cause = (err as { cause?: { code?: string; message?: string } }).cause; // fetch's "fetch failed" hides it
    // eslint-disable-next-line preserve-caught-error -- the CLI shows this one line; the fetch error adds nothing to it
    throw new Error(
      `cannot reach the Kubernetes API server ${server} (${cause?.code ?? cause?.message ?? (err as Error).message}): fix the kubeconfig ` +
        "(regnet:kubeconfigPath or regnet:kubeconfig, else $REGNET_KUBECONFIG or $KUBECONFIG) or start the cluster",
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Only create/update/read/delete get here: check and diff never open an engine, so a preview
 * neither calls the API server nor a node. Each call is logged with its RPC counts. */
async function withEngine<T>(call: string, props: Props, fn: (engine: Engine, ref: NetworkRef) => Promise<T>): Promise<T> {
  const kubeConfig = kubeConfigOf(props);
  await assertReachable(kubeConfig);
  const engine = createEngine({ kubeConfig, logger: logger() });
  const network = `${props.namespace}/${props.name}`;
  logger().info({ call, network }, "provider call");
  try {
    return await fn(engine, { name: props.name, namespace: props.namespace });
  } finally {
    const { reads, writes } = engine.rpcCounters();
    logger().info({ call, network, rpcReads: reads, rpcWrites: writes }, "provider call done");
    await engine.close();
  }
}

function specOf(props: Props): BitcoinNetworkSpec {
  const result = validateSpec(props.spec);
  if (!result.ok) throw new Error(`invalid spec: ${result.issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
  return result.spec;
}

/** Reconciles until ready, wired, bootstrapped and synced, within the bounded wait. */
async function converge(call: string, id: string, props: Props): Promise<Record<string, unknown>> {
  const spec = specOf(props);
  const timeoutSeconds = props.convergeTimeoutSeconds ?? DEFAULT_CONVERGE_TIMEOUT_SECONDS;
  return withEngine(call, props, async (engine, ref) => {
    const log = logger().child({ network: `${ref.namespace}/${ref.name}` });
    const last = {};
    try {
      const status = await engine.converge(ref, spec, {
        timeoutSeconds,
        onProgress: (s, changes) => {
          progress(ref, s, last);
          log.info({ readyNodes: s.readyNodes, wired: s.wired, height: s.height, changes }, "converging");
        },
      });
      return outputsOf(props, status);
    } catch (err) {
      // Refused before anything was made (objects of the same name that regnet does not own, a
      // namespace that does not exist, an RPC Secret it cannot use): nothing for Pulumi to track.
      if (err instanceof OwnershipError || err instanceof NamespaceNotFoundError || err instanceof RpcSecretError) throw err;
      // The engine's error already names each node and what it lacks. Attaching the id and what is
      // there now makes Pulumi keep the resource in state (an "initialization error"), so the next
      // `up` retries it and `destroy` removes it: nothing is left behind untracked. These properties
      // become the saved outputs as they are (the dynamic-provider host adds `__provider` to what
      // create/update return, not to an error's properties), and every later call on the resource
      // loads the provider from them: without `__provider`, `destroy` and `refresh` cannot run.
      const observed = await engine.observe(ref).catch(() => undefined);
      throw Object.assign(new Error((err as Error).message), {
        id,
        properties: { ...(observed ? outputsOf(props, observed) : props), __provider: props.__provider },
        reasons: [(err as Error).message],
      });
    }
  });
}

function idOf(props: Props): string {
  return `${props.namespace}/${props.name}`;
}

export const provider: Required<Omit<pulumi.dynamic.ResourceProvider, "configure">> = {
  async check(_olds, news: Record<string, unknown>) {
    return checkNetwork(news, validateSpec, validateNetworkName, validateKnownParts);
  },

  async diff(_id, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffNetwork(olds, news);
  },

  async create(inputs: Props) {
    const id = idOf(inputs);
    return { id, outs: await converge("create", id, inputs) };
  },

  async update(id, _olds, news: Props) {
    return { outs: await converge("update", id, news) };
  },

  async read(id, props: Props) {
    return withEngine("read", props, async (engine, ref) => {
      const status = await engine.observe(ref);
      if (!status) return { id: undefined, props: {} }; // gone: refresh drops it from state
      // Record what the cluster actually runs: a hand-made scale becomes a change of spec.nodes, so
      // `refresh` reports it (its diff compares refreshed outputs with the old inputs) and the next
      // `up` diffs it against the program and scales back.
      const spec = { ...props.spec, nodes: status.nodes.length };
      return { id, props: outputsOf({ ...props, spec }, status), inputs: { ...inputsOf(props), spec } };
    });
  },

  async delete(_id, props: Props) {
    const seconds = Math.max(props.convergeTimeoutSeconds ?? DEFAULT_CONVERGE_TIMEOUT_SECONDS, MIN_DELETE_WAIT_SECONDS);
    await withEngine("delete", props, (engine, ref) => engine.destroy(ref, { wait: true, timeoutMs: seconds * 1000 }));
  },
};

const INPUT_KEYS: (keyof NetworkInputs)[] = ["name", "namespace", "spec", "kubeconfigPath", "kubeconfig", "convergeTimeoutSeconds"];
function inputsOf(props: Props): Partial<NetworkInputs> {
  return Object.fromEntries(INPUT_KEYS.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}
