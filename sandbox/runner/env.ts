// A container's environment as a kubelet builds it: base variables (PATH, HOSTNAME, the API server's
// service variables), envFrom, env with `$(VAR)` expansion, the downward API and Secret/ConfigMap refs.
import type * as k8s from "@kubernetes/client-node";

/** Reads a key of a Secret or ConfigMap; undefined when the object or the key is missing. */
export interface RefReader {
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export class ConfigError extends Error {}

/**
 * A reader whose concurrent calls for the same object share one request; a call after it settled
 * asks again (a kubelet sees changes too). The result is shared: callers only read it.
 */
export function shareInFlight<T>(read: (namespace: string, name: string) => Promise<T>): (namespace: string, name: string) => Promise<T> {
  const inFlight = new Map<string, Promise<T>>();
  return (namespace, name) => {
    const key = `${namespace}/${name}`;
    let p = inFlight.get(key);
    if (!p) {
      p = read(namespace, name).finally(() => inFlight.delete(key));
      inFlight.set(key, p);
    }
    return p;
  };
}

/**
 * Kubernetes' `$(VAR)` expansion: references to defined variables are replaced, `$$` escapes a `$`,
 * and a reference to an undefined variable is left as written.
 */
export function expandVars(value: string, env: ReadonlyMap<string, string>): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== "$" || i === value.length - 1) {
      out += c;
      continue;
    }
    const next = value[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    if (next === "(") {
      const close = value.indexOf(")", i + 2);
      if (close !== -1) {
        const name = value.slice(i + 2, close);
        const v = env.get(name);
        out += v ?? value.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** The value of a downward-API fieldPath. */
export function fieldRefValue(pod: k8s.V1Pod, fieldPath: string, podIP: string, hostIP: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (m[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]] ?? "";
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata?.name ?? "";
    case "metadata.namespace":
      return pod.metadata?.namespace ?? "";
    case "metadata.uid":
      return pod.metadata?.uid ?? "";
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.podIP":
    case "status.podIPs":
      return podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return hostIP;
    default:
      throw new ConfigError(`fieldRef "${fieldPath}" is not supported by the sandbox node runner`);
  }
}

export interface EnvInputs {
  pod: k8s.V1Pod;
  container: k8s.V1Container;
  podIP: string;
  hostIP: string;
  /** Base variables (PATH, HOSTNAME, KUBERNETES_SERVICE_*), overridable by the container's env. */
  base: Record<string, string>;
  refs: RefReader;
}

/** The environment in order of definition; throws ConfigError naming what is missing. */
export async function containerEnv(inp: EnvInputs): Promise<Map<string, string>> {
  const { pod, container, refs } = inp;
  const ns = pod.metadata?.namespace ?? "default";
  const env = new Map<string, string>(Object.entries(inp.base));

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref?.name) continue;
    const data = from.secretRef ? await refs.secret(ns, ref.name) : await refs.configMap(ns, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigError(`${from.secretRef ? "secret" : "configmap"} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env.set(prefix + k, v);
  }

  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env.set(e.name, expandVars(e.value ?? "", env));
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) {
      env.set(e.name, fieldRefValue(pod, vf.fieldRef.fieldPath, inp.podIP, inp.hostIP));
    } else if (vf.secretKeyRef || vf.configMapKeyRef) {
      const ref = (vf.secretKeyRef ?? vf.configMapKeyRef)!;
      const kind = vf.secretKeyRef ? "secret" : "configmap";
      const data = vf.secretKeyRef ? await refs.secret(ns, ref.name!) : await refs.configMap(ns, ref.name!);
      const v = data?.[ref.key];
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ConfigError(
          data ? `key "${ref.key}" not found in ${kind} "${ref.name}" (env ${e.name})` : `${kind} "${ref.name}" not found (env ${e.name})`,
        );
      }
      env.set(e.name, v);
    } else if (vf.resourceFieldRef) {
      // No resource accounting in the sandbox: report the declared limit, or nothing.
      const [kind, res] = vf.resourceFieldRef.resource.split(".");
      const q = (kind === "limits" ? container.resources?.limits : container.resources?.requests)?.[res];
      env.set(e.name, q !== undefined ? String(q) : "");
    }
  }
  return env;
}

/** `command`/`args` with `$(VAR)` references expanded against the container's environment. */
export function expandArgv(argv: string[] | undefined, env: ReadonlyMap<string, string>): string[] | undefined {
  return argv?.map((a) => expandVars(a, env));
}
