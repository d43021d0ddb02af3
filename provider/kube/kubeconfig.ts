// Which cluster regnet talks to, one rule for every front door that runs outside the cluster (the
// Pulumi provider, the `regnet` command): the kubeconfig given explicitly (contents, then a path),
// else $REGNET_KUBECONFIG, else $KUBECONFIG (a list of files, merged as kubectl merges them), else
// ~/.kube/config, else the pod's service account when running in one. A context may be chosen.
// Errors name the setting that pointed at the wrong thing and how to fix it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";

export interface KubeconfigChoice {
  /** Kubeconfig contents (e.g. a Pulumi secret): wins over everything else. */
  contents?: string;
  /** A kubeconfig file given by the caller. */
  path?: string;
  /** How the caller names `path` in errors: `--kubeconfig`, `regnet:kubeconfigPath`. */
  pathSetting?: string;
  /** A context of the kubeconfig to use instead of its current-context. */
  context?: string;
  /** How the caller names `context` in errors (default `--context`). */
  contextSetting?: string;
}

export interface LoadedKubeconfig {
  kubeConfig: k8s.KubeConfig;
  /** Where it came from, for messages: `--kubeconfig /x`, `$KUBECONFIG /y`, `~/.kube/config`, `in-cluster`. */
  source: string;
}

/** A kubeconfig setting that names nothing usable; the message says which setting and the fix. */
export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}

function loadFile(kc: k8s.KubeConfig, file: string, setting: string): void {
  if (!fs.existsSync(file)) throw new KubeconfigError(`${setting}: no file at ${file}: pass the path of a kubeconfig file`);
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new KubeconfigError(`${setting}: ${file} is not a readable kubeconfig (${(err as Error).message}): fix the file or pass another`);
  }
}

/** `$KUBECONFIG` may list several files (':'-separated on Linux): merged in order, as kubectl does. */
function loadList(kc: k8s.KubeConfig, list: string): void {
  const files = list.split(path.delimiter).filter(Boolean);
  const present = files.filter((f) => fs.existsSync(f));
  if (!present.length) throw new KubeconfigError(`$KUBECONFIG: no file at ${files.join(", ")}: set it to a kubeconfig file, or unset it`);
  loadFile(kc, present[0], "$KUBECONFIG");
  for (const f of present.slice(1)) {
    const more = new k8s.KubeConfig();
    loadFile(more, f, "$KUBECONFIG");
    kc.mergeConfig(more, true); // kubectl: the first file's current-context wins
  }
}

export function loadKubeconfig(choice: KubeconfigChoice = {}, env: NodeJS.ProcessEnv = process.env): LoadedKubeconfig {
  const kc = new k8s.KubeConfig();
  let source: string;
  if (choice.contents !== undefined) {
    kc.loadFromString(choice.contents);
    source = "the kubeconfig given";
  } else if (choice.path) {
    loadFile(kc, choice.path, choice.pathSetting ?? "--kubeconfig");
    source = `${choice.pathSetting ?? "--kubeconfig"} ${choice.path}`;
  } else if (env.REGNET_KUBECONFIG) {
    loadFile(kc, env.REGNET_KUBECONFIG, "$REGNET_KUBECONFIG");
    source = `$REGNET_KUBECONFIG ${env.REGNET_KUBECONFIG}`;
  } else if (env.KUBECONFIG) {
    loadList(kc, env.KUBECONFIG);
    source = `$KUBECONFIG ${env.KUBECONFIG}`;
  } else if (fs.existsSync(path.join(env.HOME ?? os.homedir(), ".kube", "config"))) {
    loadFile(kc, path.join(env.HOME ?? os.homedir(), ".kube", "config"), "~/.kube/config");
    source = "~/.kube/config";
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    source = "in-cluster service account";
  } else {
    throw new KubeconfigError(
      `no kubeconfig: pass ${choice.pathSetting ?? "--kubeconfig"} <file>, or set $REGNET_KUBECONFIG or $KUBECONFIG, or create ~/.kube/config ` +
        `(for the local sandbox: eval "$(npm run -s sandbox -- env)")`,
    );
  }
  if (choice.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(choice.context)) {
      throw new KubeconfigError(
        `${choice.contextSetting ?? "--context"}: no context "${choice.context}" in ${source}; it has ${names.length ? names.join(", ") : "none"}`,
      );
    }
    kc.setCurrentContext(choice.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeconfigError(
      `${source} names no current cluster: set its current-context, or pick one with ${choice.contextSetting ?? "--context"}`,
    );
  }
  return { kubeConfig: kc, source };
}

/** The namespace of the kubeconfig's current context, as kubectl defaults to it; else "default". */
export function contextNamespace(kc: k8s.KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || "default";
}

/**
 * One GET /version before a call touches anything: a kubeconfig whose server does not answer fails at
 * once, naming the server and `fix`, instead of every later call being retried until a deadline.
 */
export async function assertReachable(kc: k8s.KubeConfig, fix: string, timeoutMs = 15_000): Promise<void> {
  const server = kc.getCurrentCluster()?.server ?? "(none: the kubeconfig names no cluster)";
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)),
  );
  try {
    await Promise.race([kc.makeApiClient(k8s.VersionApi).getCode(), silence]);
  } catch (err) {
    if (err instanceof k8s.ApiException) return; // it answered: what it refuses, the real calls report
    const cause = (err as { cause?: { code?: string; message?: string } }).cause; // fetch's "fetch failed" hides it

    throw new KubeconfigError(
      `cannot reach the Kubernetes API server ${server} (${cause?.code ?? cause?.message ?? (err as Error).message}): ${fix}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
