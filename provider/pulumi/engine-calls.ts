// The dynamic provider's calls that touch the cluster or a node — create, read, update, delete —
// through the engine. Loaded by ./adapter only when one of them is called: the engine and
// @kubernetes/client-node take seconds to load, and `pulumi preview` (check and diff) needs neither.
import * as path from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { assertReachable, loadKubeconfig } from "../kube/kubeconfig";
import { kubeconfigFile } from "./project-dir";
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
import { exitWhenEngineGone } from "./engine-gone";
import { validateSpec, type BitcoinNetworkSpec } from "../spec";
import { outputsOf } from "./outputs";
import type { NetworkInputs } from "./types";

/** What the provider methods are given (Pulumi types them `any`): the checked inputs, or for read and
 * delete the saved outputs, which hold the inputs, plus Pulumi's hidden `__provider`. */
type Props = NetworkInputs & Record<string, unknown>;

export const DEFAULT_CONVERGE_TIMEOUT_SECONDS = 600;
/** `delete` waits at least this long for the pods to go: a pod may take its whole termination grace
 * period to stop (Core nodes in the sandbox take ~15 s), so a convergeTimeoutSeconds small enough to
 * fail a create must not also fail the destroy that cleans it up. */
export const MIN_DELETE_WAIT_SECONDS = 120;

exitWhenEngineGone();

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
  // Why a node is not Ready (a flag it refuses, ...), so that the wait is not blind.
  const failing = s.nodes.find((n) => n.message);
  const why = failing ? `; node ${failing.ordinal}: ${failing.message}` : "";
  const line = `${ref.name}: ${s.readyNodes}/${s.nodes.length} ready, ${wired}/${s.nodes.length} wired, ${atTip}/${s.nodes.length} at height ${s.height}${why}`;
  if (line !== last.line) process.stderr.write(`${line}\n`);
  last.line = line;
}

function kubeConfigOf(props: Props): k8s.KubeConfig {
  const contents = typeof props.kubeconfig === "string" ? props.kubeconfig : undefined;
  const file = props.kubeconfigPath ? kubeconfigFile(props.kubeconfigPath) : undefined;
  return loadKubeconfig({ contents, path: file, pathSetting: "regnet:kubeconfigPath" }).kubeConfig;
}

const UNREACHABLE_FIX =
  "fix the kubeconfig (regnet:kubeconfigPath or regnet:kubeconfig, else $REGNET_KUBECONFIG or $KUBECONFIG) or start the cluster";

/** Only create/update/read/delete get here: check and diff never open an engine, so a preview
 * neither calls the API server nor a node. Each call is logged with its RPC counts. */
async function withEngine<T>(call: string, props: Props, fn: (engine: Engine, ref: NetworkRef) => Promise<T>): Promise<T> {
  const kubeConfig = kubeConfigOf(props);
  await assertReachable(kubeConfig, UNREACHABLE_FIX);
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

export async function create(inputs: Props) {
  const id = idOf(inputs);
  return { id, outs: await converge("create", id, inputs) };
}

export async function update(id: string, news: Props) {
  return { outs: await converge("update", id, news) };
}

export async function read(id: string, props: Props) {
  return withEngine("read", props, async (engine, ref) => {
    const status = await engine.observe(ref);
    if (!status) return { id: undefined, props: {} }; // gone: refresh drops it from state
    // Record what the cluster actually runs: a hand-made scale becomes a change of spec.nodes, so
    // `refresh` reports it (its diff compares refreshed outputs with the old inputs) and the next
    // `up` diffs it against the program and scales back.
    const spec = { ...props.spec, nodes: status.nodes.length };
    return { id, props: outputsOf({ ...props, spec }, status), inputs: { ...inputsOf(props), spec } };
  });
}

export async function remove(props: Props): Promise<void> {
  const seconds = Math.max(props.convergeTimeoutSeconds ?? DEFAULT_CONVERGE_TIMEOUT_SECONDS, MIN_DELETE_WAIT_SECONDS);
  await withEngine("delete", props, (engine, ref) => engine.destroy(ref, { wait: true, timeoutMs: seconds * 1000 }));
}

const INPUT_KEYS: (keyof NetworkInputs)[] = ["name", "namespace", "spec", "kubeconfigPath", "kubeconfig", "convergeTimeoutSeconds"];
function inputsOf(props: Props): Partial<NetworkInputs> {
  return Object.fromEntries(INPUT_KEYS.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}
