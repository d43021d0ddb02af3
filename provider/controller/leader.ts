// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection (client-node
// has no helper). Every replica tries to acquire the Lease; the holder renews it every
// `retryPeriodMs`; the others take it over once it has gone unrenewed for a lease duration, as
// *they* observe it (local clock from when the record last changed, so clock skew between
// replicas does not matter). Writes carry the resourceVersion read, so two candidates racing for
// one Lease cannot both win: the loser gets a 409 and retries. A leader that cannot renew within
// `renewDeadlineMs` steps down; on shutdown it releases the Lease so a successor needn't wait.
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../log";
import { silentLogger } from "../log";
import { errorText, statusCode } from "../kube/errors";

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Observation {
  /** The record as last read, serialized, to tell when it changes. */
  record: string;
  /** Local time at which the record was seen to change. */
  atMs: number;
}

export type Decision =
  { kind: "held-by-other"; holder: string; expiresInMs: number } | { kind: "write"; record: LeaseRecord; acquired: boolean };

/**
 * What a candidate should do with the Lease it just read (pure). `observedAtMs` is when this
 * candidate saw the current record first; `current` undefined means no Lease exists.
 */
export function decide(
  current: LeaseRecord | undefined,
  observedAtMs: number,
  identity: string,
  nowMs: number,
  leaseDurationSeconds: number,
): Decision {
  const now = microTime(nowMs);
  const holder = current?.holderIdentity ?? "";
  if (current && holder !== "" && holder !== identity) {
    const durationMs = (current.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expiresInMs = observedAtMs + durationMs - nowMs;
    if (expiresInMs > 0) return { kind: "held-by-other", holder, expiresInMs };
  }
  const renewing = current !== undefined && holder === identity;
  return {
    kind: "write",
    acquired: !renewing,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: renewing && current.acquireTime ? current.acquireTime : now,
      renewTime: now,
      leaseTransitions: (current?.leaseTransitions ?? 0) + (renewing || current === undefined ? 0 : 1),
    },
  };
}

/** RFC 3339 with microseconds, the MicroTime format the Lease fields need. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

export interface LeaderElectorOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger?: Logger;
}

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  /** Called once when leadership is lost (not on release at shutdown). */
  onStoppedLeading: () => void;
}

export class LeaderElector {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private readonly api: k8s.CoordinationV1Api;
  private readonly log: Logger;
  private observed: Observation | undefined;
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** The Lease as this replica last wrote it: while leading, renewed without reading it first. */
  private written: k8s.V1Lease | undefined;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error("leader election: want leaseDuration > renewDeadline > retryPeriod");
    }
    this.api = opts.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.log = (opts.logger ?? silentLogger).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning in the background; callbacks fire on gaining and losing leadership. */
  start(cb: LeaderCallbacks): void {
    this.loop ??= this.run(cb);
  }

  /** Stops campaigning; if leading, releases the Lease so another replica can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err) => this.log.warn({ err: String(err) }, "could not release the lease"));
    }
  }

  private async run(cb: LeaderCallbacks): Promise<void> {
    let lastRenewMs = 0;
    // A leader must stop by its renew deadline (its last renewal + renewDeadline), which comes
    // before anyone may take over (a lease duration after they saw that renewal): no round, and no
    // sleep between rounds, may run past it — a request that hangs after others that failed would.
    const remainingMs = () => lastRenewMs + this.renewDeadlineMs - Date.now();
    while (!this.stopped) {
      let ok = false;
      const budgetMs = this.leading ? remainingMs() : this.renewDeadlineMs;
      if (budgetMs > 0) {
        try {
          ok = await withTimeout(this.tryAcquireOrRenew(), budgetMs, "lease request timed out");
        } catch (err) {
          this.log.warn({ err: errorText(err) }, "lease acquire/renew failed");
        }
      }
      if (this.stopped) break;
      if (ok) {
        lastRenewMs = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info("became leader");
          cb.onStartedLeading();
        }
      } else if (this.leading && remainingMs() <= 0) {
        this.leading = false;
        this.log.error({ renewDeadlineMs: this.renewDeadlineMs }, "lost leadership: could not renew the lease in time");
        cb.onStoppedLeading();
        return;
      }
      const pause = jitter(this.retryPeriodMs);
      await this.sleep(this.leading ? Math.min(pause, Math.max(0, remainingMs())) : pause);
    }
  }

  /** One round: read the Lease, decide, write. True if this replica holds it afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    // As client-go's fast path: a leader renews the Lease as it last wrote it with one write,
    // guarded by that write's resourceVersion — one request a round on a loaded API server, not
    // two. If anyone else wrote it meanwhile (409), or the write fails, read it and decide.
    if (this.leading && this.written) {
      const renewed = await this.renew(this.written).catch((err) => {
        this.log.debug({ err: errorText(err) }, "renewing without a read failed: reading the lease");
        return false;
      });
      if (renewed) return true;
    }
    const { namespace, name, identity } = this.opts;
    const leaseDurationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    let lease: k8s.V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    const now = Date.now();
    const current = lease ? toRecord(lease.spec) : undefined;
    const serialized = JSON.stringify(current ?? null);
    if (this.observed?.record !== serialized) this.observed = { record: serialized, atMs: now };
    const decision = decide(current, this.observed.atMs, identity, now, leaseDurationSeconds);
    if (decision.kind === "held-by-other") {
      this.log.debug({ holder: decision.holder, expiresInMs: decision.expiresInMs }, "lease held by another replica");
      return false;
    }
    const spec = fromRecord(decision.record);
    try {
      this.written = !lease
        ? await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } })
        : await this.api.replaceNamespacedLease({ namespace, name, body: { metadata: { ...lease.metadata, name, namespace }, spec } });
    } catch (err) {
      // 409: another candidate wrote first (or the Lease appeared); it is theirs this round.
      if (statusCode(err) === 409) return false;
      throw err;
    }
    if (decision.acquired) this.log.info({ transitions: decision.record.leaseTransitions }, "acquired the lease");
    this.observed = { record: JSON.stringify(decision.record), atMs: now };
    return true;
  }

  /** Renews `lease`, this replica's own as it last wrote it, with one write (409 if it changed since). */
  private async renew(lease: k8s.V1Lease): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = Date.now();
    const decision = decide(toRecord(lease.spec), now, identity, now, Math.ceil(this.leaseDurationMs / 1000));
    if (decision.kind !== "write") return false;
    this.written = await this.api.replaceNamespacedLease({
      namespace,
      name,
      body: { metadata: lease.metadata, spec: fromRecord(decision.record) },
    });
    this.observed = { record: JSON.stringify(decision.record), atMs: now };
    return true;
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    const lease = await this.api.readNamespacedLease({ namespace, name });
    if (lease.spec?.holderIdentity !== identity) return;
    const now = Date.now();
    // As client-go's ReleaseOnCancel: an empty holder lets any candidate take it at once.
    const spec = fromRecord({ ...toRecord(lease.spec), holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) });
    await this.api.replaceNamespacedLease({ namespace, name, body: { metadata: lease.metadata, spec } });
    this.log.info("released the lease");
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function toRecord(spec: k8s.V1LeaseSpec | undefined): LeaseRecord {
  return {
    holderIdentity: spec?.holderIdentity,
    leaseDurationSeconds: spec?.leaseDurationSeconds,
    acquireTime: timeString(spec?.acquireTime),
    renewTime: timeString(spec?.renewTime),
    leaseTransitions: spec?.leaseTransitions,
  };
}

function fromRecord(r: LeaseRecord): k8s.V1LeaseSpec {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: r.acquireTime ? new k8s.V1MicroTime(r.acquireTime) : undefined,
    renewTime: r.renewTime ? new k8s.V1MicroTime(r.renewTime) : undefined,
    leaseTransitions: r.leaseTransitions,
  };
}

/** client-node hands MicroTime fields back as the API server's string; normalize either form. */
function timeString(t: Date | string | undefined): string | undefined {
  if (t === undefined || t === null) return undefined;
  return typeof t === "string" ? t : microTime(t.getTime());
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function jitter(ms: number): number {
  return ms * (1 + 0.2 * Math.random());
}
