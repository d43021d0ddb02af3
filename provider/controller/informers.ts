// Informers (client-node makeInformer + ListWatch: list, then watch from the list's
// resourceVersion, relist on 410) on BitcoinNetworks and on the StatefulSets, pods, Services and
// Secrets regnet made (label `regnet.dev/network`). ListWatch stops for good on any error other than 410
// or a client-side timeout (a dropped connection, an API server restart, a 403 while RBAC is being
// applied, a 404 before the CRD exists), so each informer here is restarted after a back-off; the
// restart watches on from the last resourceVersion, or relists, so no change is lost.
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../log";
import { API_VERSION, KIND, PLURAL } from "../spec";
import type { Kind, ObjectCaches } from "../kube";
import { unionCache } from "../kube/cached-reader";
import { errorText } from "../kube/errors";
import { NETWORK_LABEL } from "../engine/labels";
import { backoffDelay } from "../backoff";

type InformerEvent = "add" | "update" | "delete";
export type Handler = (event: InformerEvent, obj: k8s.KubernetesObject) => void;

export interface ManagedInformer {
  readonly resource: string;
  readonly cache: k8s.ObjectCache<k8s.KubernetesObject>;
  /** True once a list has been loaded into the cache. */
  synced(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface InformerOptions {
  resource: string;
  path: string;
  list: () => Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>;
  labelSelector?: string;
  handler: Handler;
  onError?: (err: unknown) => void;
  logger: Logger;
  minRestartDelayMs?: number;
  maxRestartDelayMs?: number;
}

function managedInformer(kubeConfig: k8s.KubeConfig, opts: InformerOptions): ManagedInformer {
  const informer = k8s.makeInformer(kubeConfig, opts.path, opts.list, opts.labelSelector);
  const log = opts.logger.child({ informer: opts.resource });
  const minDelay = opts.minRestartDelayMs ?? 500;
  const maxDelay = opts.maxRestartDelayMs ?? 30_000;
  let synced = false;
  let stopped = true;
  /** Restarts since the last successful start: the back-off's exponent. */
  let failures = 0;
  let failedDuringStart = false;
  let timer: NodeJS.Timeout | undefined;

  informer.on(k8s.ADD, (o) => opts.handler("add", o));
  informer.on(k8s.UPDATE, (o) => opts.handler("update", o));
  informer.on(k8s.DELETE, (o) => opts.handler("delete", o));
  informer.on(k8s.ERROR, (err) => {
    failedDuringStart = true;
    if (stopped) return;
    opts.onError?.(err);
    log.warn({ err: errorText(err), retryInMs: nextDelay() }, "list/watch failed; restarting the informer");
    scheduleRestart();
  });

  const nextDelay = () => backoffDelay(failures, minDelay, maxDelay);
  function scheduleRestart() {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, nextDelay());
    failures++;
  }

  async function run() {
    if (stopped) return;
    failedDuringStart = false;
    try {
      await informer.start();
    } catch (err) {
      // start() reports through ERROR; a throw here is a bug in a callback or the kubeconfig.
      failedDuringStart = true;
      log.warn({ err: errorText(err) }, "informer start threw; restarting");
      scheduleRestart();
      return;
    }
    if (!failedDuringStart) {
      if (!synced) log.info({ objects: informer.list().length }, "cache synced");
      synced = true;
      failures = 0;
    }
  }

  return {
    resource: opts.resource,
    cache: informer,
    synced: () => synced,
    async start() {
      stopped = false;
      await run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await informer.stop();
    },
  };
}

/** The owned kinds the controller watches (for requeues) and reads from cache (see ./cache-reader.ts). */
const OWNED: { kind: Kind; apiVersion: string; resource: string }[] = [
  { kind: "StatefulSet", apiVersion: "apps/v1", resource: "statefulsets" },
  { kind: "Pod", apiVersion: "v1", resource: "pods" },
  { kind: "Service", apiVersion: "v1", resource: "services" },
  { kind: "Secret", apiVersion: "v1", resource: "secrets" },
];

/** The REST path of a resource, in one namespace or in all. */
function resourcePath(apiVersion: string, resource: string, namespace: string | undefined): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${resource}`;
}

export interface ControllerInformers {
  networks: ManagedInformer;
  owned: ManagedInformer[];
  /** The owned objects' caches, by kind (a kind watched in several namespaces reads as one cache). */
  caches: ObjectCaches;
}

/**
 * The informers the controller runs: BitcoinNetworks, and the StatefulSets, pods, Services and
 * Secrets labelled as a network's. `namespace` limits them all to one namespace; `secretNamespaces`
 * (where RBAC lets the controller touch Secrets) limits the Secret informers to those.
 */
export function controllerInformers(
  kubeConfig: k8s.KubeConfig,
  opts: {
    namespace?: string;
    secretNamespaces?: string[];
    onNetwork: Handler;
    onOwned: Handler;
    onError?: (resource: string, err: unknown) => void;
    logger: Logger;
  },
): ControllerInformers {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const ns = opts.namespace;
  const informer = (
    apiVersion: string,
    kind: string,
    resource: string,
    namespace: string | undefined,
    handler: Handler,
    labelSelector?: string,
  ) =>
    managedInformer(kubeConfig, {
      resource: namespace && namespace !== ns ? `${resource} in ${namespace}` : resource,
      logger: opts.logger,
      onError: (err: unknown) => opts.onError?.(resource, err),
      path: resourcePath(apiVersion, resource, namespace),
      labelSelector,
      list: () => objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector),
      handler,
    });

  const networks = informer(API_VERSION, KIND, PLURAL, ns, opts.onNetwork);
  const owned: ManagedInformer[] = [];
  const caches: ControllerInformers["caches"] = {};
  for (const { kind, apiVersion, resource } of OWNED) {
    const namespaces = kind === "Secret" && !ns && opts.secretNamespaces ? opts.secretNamespaces : [ns];
    const kindInformers = namespaces.map((n) => informer(apiVersion, kind, resource, n, opts.onOwned, NETWORK_LABEL));
    owned.push(...kindInformers);
    caches[kind] = kindInformers.length === 1 ? kindInformers[0].cache : unionCache(kindInformers.map((i) => i.cache));
  }
  return { networks, owned, caches };
}
