// The controller loop: informers → work queue → a bounded pool of workers → Reconciler.
// Caches start at once (a standby replica keeps warm caches and is ready to take over); workers
// run only while this replica leads. Level-based: every event only names a network; the worker
// reads the current state, so missed events, restarts and resyncs all end in the same place.
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../log";
import { errorText } from "../kube/errors";
import { EventRecorder } from "./events";
import { controllerInformers, type ManagedInformer } from "./informers";
import { networkKey, ownerNetworkKey, splitKey } from "./keys";
import { createMetrics, type ControllerMetrics } from "./metrics";
import { Reconciler, ReportedError, StatusWriteError } from "./reconciler";
import { ExponentialBackoff, WorkQueue } from "./queue";
import type { Engine } from "../engine";
import type { ObjectCaches } from "../kube";

export interface ControllerOptions {
  kubeConfig: k8s.KubeConfig;
  /** Makes the engine, given the controller's informer caches to read owned objects from. */
  engine: (caches: ObjectCaches) => Pick<Engine, "reconcile">;
  logger: Logger;
  /** Watch one namespace only (default: all). */
  namespace?: string;
  /** The namespaces where RBAC lets the controller touch Secrets (default: all); see --secret-namespaces. */
  secretNamespaces?: string[];
  /** Concurrent reconciles of different networks (default 2). */
  workers?: number;
  /** Every network is reconciled at least this often (default 60 s). */
  resyncMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Identity in Events (the pod name). */
  identity: string;
}

export class Controller {
  readonly queue: WorkQueue;
  readonly metrics: ControllerMetrics;
  private readonly log: Logger;
  private readonly networks: ManagedInformer;
  private readonly owned: ManagedInformer[];
  private readonly reconciler: Reconciler;
  /** Last seen generation per network: status-only updates (our own writes) do not requeue. */
  private readonly generations = new Map<string, number | undefined>();
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(private readonly opts: ControllerOptions) {
    this.log = opts.logger;
    this.queue = new WorkQueue(new ExponentialBackoff(opts.backoffBaseMs ?? 200, opts.backoffMaxMs ?? 5 * 60_000));
    this.metrics = createMetrics(() => ({ ready: this.queue.len(), delayed: this.queue.delayed() }));
    const informers = controllerInformers(opts.kubeConfig, {
      namespace: opts.namespace,
      secretNamespaces: opts.secretNamespaces,
      logger: this.log,
      onNetwork: (event, obj) => this.onNetwork(event, obj),
      onOwned: (_event, obj) => {
        // Networks made by the Pulumi provider carry the same labels but have no BitcoinNetwork
        // object: not ours. (A network's own add event queues it if its objects are seen first.)
        const key = ownerNetworkKey(obj);
        if (key && this.hasNetwork(key)) this.queue.add(key);
      },
      onError: () => this.metrics.errors.inc({ kind: "informer" }),
    });
    this.networks = informers.networks;
    this.owned = informers.owned;
    this.reconciler = new Reconciler({
      engine: opts.engine(informers.caches),
      networks: this.networks.cache,
      customObjects: opts.kubeConfig.makeApiClient(k8s.CustomObjectsApi),
      events: new EventRecorder(opts.kubeConfig, "regnet-controller", opts.identity, this.log),
      logger: this.log,
    });
  }

  /** Starts the informers (in parallel); resolves when each has made its first attempt. */
  async startInformers(): Promise<void> {
    await Promise.all([this.networks, ...this.owned].map((i) => i.start()));
    const resyncMs = this.opts.resyncMs ?? 60_000;
    this.resyncTimer = setInterval(() => this.resync(), resyncMs);
    this.resyncTimer.unref();
  }

  /** True when every cache has loaded: before that, a reconcile could act on a partial view. */
  synced(): boolean {
    return [this.networks, ...this.owned].every((i) => i.synced());
  }

  unsyncedInformers(): string[] {
    return [this.networks, ...this.owned].filter((i) => !i.synced()).map((i) => i.resource);
  }

  /** Starts the workers (on gaining leadership). Every known network is queued first. */
  startWorkers(): void {
    if (this.workers.length > 0) return;
    this.metrics.leader.set(1);
    this.resync();
    const n = Math.max(1, this.opts.workers ?? 2);
    this.log.info({ workers: n }, "starting workers");
    for (let i = 0; i < n; i++) this.workers.push(this.runWorker());
  }

  /** Stops taking work; waits up to `graceMs` for reconciles in flight. True if none is left running. */
  async stop(graceMs = 20_000): Promise<boolean> {
    this.queue.shutDown();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(this.workers).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    await Promise.all([this.networks, ...this.owned].map((i) => i.stop()));
    this.metrics.leader.set(0);
    return drained && this.inFlight === 0;
  }

  /** Queues every network in the cache: the periodic resync that makes the controller level-based. */
  resync(): void {
    for (const obj of this.networks.cache.list()) {
      const key = networkKey(obj);
      if (key) this.queue.add(key);
    }
  }

  private hasNetwork(key: string): boolean {
    const { namespace, name } = splitKey(key);
    return this.networks.cache.get(name, namespace) !== undefined;
  }

  private onNetwork(event: "add" | "update" | "delete", obj: k8s.KubernetesObject): void {
    const key = networkKey(obj);
    if (!key) return;
    if (event === "delete") {
      this.generations.delete(key);
    } else {
      const generation = obj.metadata?.generation;
      // An update that did not change the generation only touched status or metadata (often our own
      // status write); the resync still covers anything else.
      if (event === "update" && this.generations.has(key) && this.generations.get(key) === generation) return;
      this.generations.set(key, generation);
    }
    this.queue.add(key);
  }

  private async runWorker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.inFlight++;
      try {
        await this.process(key);
      } finally {
        this.inFlight--;
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    if (!this.synced()) {
      // Acting on half-loaded caches could miss objects that exist; wait for them.
      this.queue.addAfter(key, 1000);
      return;
    }
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const outcome = await this.reconciler.reconcile(key);
      this.queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) this.queue.addAfter(key, outcome.requeueAfterMs);
      this.metrics.reconciles.inc({ result: outcome.result });
      this.metrics.duration.observe({ result: outcome.result }, elapsed());
      // A network that is coming up is re-checked every few seconds: log those passes only when they did something.
      const quiet = outcome.result === "requeue" && !outcome.changes;
      this.log[quiet ? "debug" : "info"](
        {
          network: key,
          result: outcome.result,
          changes: outcome.changes,
          requeueAfterMs: outcome.requeueAfterMs,
          seconds: round(elapsed()),
        },
        "reconcile done",
      );
    } catch (err) {
      const retryInMs = this.queue.addRateLimited(key);
      this.metrics.reconciles.inc({ result: "error" });
      this.metrics.errors.inc({ kind: err instanceof StatusWriteError ? "status" : "reconcile" });
      this.metrics.duration.observe({ result: "error" }, elapsed());
      const message = errorText(err instanceof StatusWriteError ? err.cause : err);
      this.log.warn({ network: key, err: message, retries: this.queue.retries(key), retryInMs }, "reconcile failed; will retry");
      if (!(err instanceof ReportedError)) await this.recordFailure(key, message);
    }
  }

  private async recordFailure(key: string, message: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const obj = this.networks.cache.get(name, namespace);
    if (!obj?.metadata?.uid) return;
    const ok = await this.reconciler.recordEvent(obj, { type: "Warning", reason: "ReconcileError", message: message.slice(0, 1024) });
    if (!ok) this.metrics.errors.inc({ kind: "event" });
  }
}

function round(s: number): number {
  return Math.round(s * 1000) / 1000;
}
