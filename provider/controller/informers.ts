// Informers (client-node makeInformer + ListWatch: list, then watch from the list's
// resourceVersion, relist on 410) on BitcoinNetworks and on the StatefulSets, pods and Services
// regnet made (label `regnet.dev/network`). ListWatch stops for good on any error other than 410
// or a client-side timeout (a dropped connection, an API server restart, a 403 while RBAC is being
// applied, a 404 before the CRD exists), so each informer here is restarted after a back-off; the
// restart watches on from the last resourceVersion, or relists, so no change is lost.
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../log";
import { GROUP, PLURAL, VERSION } from "../spec";
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

/** The four informers the controller runs; `namespace` limits them to one namespace. */
export function controllerInformers(
  kubeConfig: k8s.KubeConfig,
  opts: {
    namespace?: string;
    onNetwork: Handler;
    onOwned: Handler;
    onError?: (resource: string, err: unknown) => void;
    logger: Logger;
  },
): { networks: ManagedInformer; owned: ManagedInformer[] } {
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const ns = opts.namespace;
  const labelSelector = NETWORK_LABEL;
  const common = (resource: string) => ({ resource, logger: opts.logger, onError: (err: unknown) => opts.onError?.(resource, err) });

  const networks = managedInformer(kubeConfig, {
    ...common(PLURAL),
    path: ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    list: () =>
      (ns
        ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
        : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as Promise<
        k8s.KubernetesListObject<k8s.KubernetesObject>
      >,
    handler: opts.onNetwork,
  });
  const owned = [
    managedInformer(kubeConfig, {
      ...common("statefulsets"),
      path: ns ? `/apis/apps/v1/namespaces/${ns}/statefulsets` : "/apis/apps/v1/statefulsets",
      labelSelector,
      list: () =>
        ns ? apps.listNamespacedStatefulSet({ namespace: ns, labelSelector }) : apps.listStatefulSetForAllNamespaces({ labelSelector }),
      handler: opts.onOwned,
    }),
    managedInformer(kubeConfig, {
      ...common("pods"),
      path: ns ? `/api/v1/namespaces/${ns}/pods` : "/api/v1/pods",
      labelSelector,
      list: () => (ns ? core.listNamespacedPod({ namespace: ns, labelSelector }) : core.listPodForAllNamespaces({ labelSelector })),
      handler: opts.onOwned,
    }),
    managedInformer(kubeConfig, {
      ...common("services"),
      path: ns ? `/api/v1/namespaces/${ns}/services` : "/api/v1/services",
      labelSelector,
      list: () => (ns ? core.listNamespacedService({ namespace: ns, labelSelector }) : core.listServiceForAllNamespaces({ labelSelector })),
      handler: opts.onOwned,
    }),
  ];
  return { networks, owned };
}
