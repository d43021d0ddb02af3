// The lifecycle of one pod on a sandbox node, as a kubelet runs it: network namespace and address,
// volumes, init containers then containers as host processes, probes, restarts with back-off,
// status reporting, and graceful termination followed by finalizing the pod's deletion.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../../provider/log";
import { ContainerProcess, type Exit } from "./container";
import { ConfigError, containerEnv, expandArgv, type RefReader } from "./env";
import { resolveCommand, type Lookup } from "./images";
import type { KubeletObjects } from "./kubelet-objects";
import { metrics, StartTimeline } from "./metrics";
import { createPodNetwork, deletePodNetwork, netnsName, netnsPids, type AddressPool } from "./netns";
import { ProbeLoop } from "./probes";
import { backoffSeconds, condition, podPhase, shouldRestart, type RestartPolicy } from "./status";
import { containerMounts, prepareVolumes, type MountPoints } from "./volumes";
import { setTimeout as sleep } from "node:timers/promises";
import { messageOf } from "../../provider/errors";

export interface PodContext {
  core: k8s.CoreV1Api;
  log: Logger;
  stateDir: string;
  pool: AddressPool;
  mountPoints: MountPoints;
  lookup: Lookup;
  refs: RefReader;
  kubeletObjects: KubeletObjects;
  /** Address of the host on the pods' bridge (the pods' hostIP and where the API server is). */
  hostIP: string;
  apiserverPort: string;
  /** The runner's PATH (standard tools), appended to each container's PATH. */
  hostPath: string;
}

/** Seconds a container must run before a crash no longer counts toward the back-off. */
const BACKOFF_RESET_SECONDS = 600;
/** How often a container blocked by configuration (missing Secret, missing program) is retried. */
const CONFIG_RETRY_MS = 5_000;

interface ContainerSlot {
  spec: k8s.V1Container;
  init: boolean;
  proc?: ContainerProcess;
  restartCount: number;
  crashes: number;
  state: k8s.V1ContainerState;
  lastState?: k8s.V1ContainerState;
  ready: boolean;
  started: boolean;
  containerID?: string;
  probes: ProbeLoop[];
  timer?: NodeJS.Timeout;
  /** A start is under way (resolving env and program): not to be started twice. */
  launching?: boolean;
  env?: Map<string, string>;
  /** Exited for good (no restart under the pod's policy). */
  finished?: { exitCode: number };
}

/**
 * The termination message, as a kubelet sets it: with `terminationMessagePolicy: FallbackToLogsOnError`
 * a failed run's last log lines (no termination-message file is mounted here, so the File policy
 * yields none).
 */
export function terminationMessage(spec: Pick<k8s.V1Container, "terminationMessagePolicy">, exit: Exit): { message?: string } {
  if (spec.terminationMessagePolicy !== "FallbackToLogsOnError" || exit.exitCode === 0 || !exit.logTail) return {};
  return { message: exit.logTail };
}

export class PodWorker {
  readonly uid: string;
  private pod: k8s.V1Pod;
  private readonly dir: string;
  private readonly log: Logger;
  private podIP?: string;
  private startTime?: Date;
  private readonly slots: ContainerSlot[];
  private volumes?: Map<string, string>;
  private stopVolumes?: () => void;
  private readonly mountReleases = new Map<string, () => void>();
  private terminating?: Promise<void>;
  private stopped = false;
  private everStarted = false;
  private lastStatus = "";
  private syncQueued = false;
  private syncChain: Promise<void> = Promise.resolve();
  private setupTimer?: NodeJS.Timeout;
  private starting?: Promise<void>;
  private quiet = false;
  /** Where this pod's start time goes, logged once it is Ready (see README "Where a pod's start time goes"). */
  private readonly timeline = new StartTimeline();
  private readonly seenAt = Date.now();

  constructor(
    pod: k8s.V1Pod,
    private readonly ctx: PodContext,
  ) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.dir = path.join(ctx.stateDir, "pods", `${pod.metadata!.namespace}_${pod.metadata!.name}_${this.uid}`);
    this.log = ctx.log.child({ pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, uid: this.uid });
    const prev = new Map((pod.status?.containerStatuses ?? []).concat(pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
    const slot = (spec: k8s.V1Container, init: boolean): ContainerSlot => ({
      spec,
      init,
      // A runner restart starts the pod's containers again: they count as restarts.
      restartCount: prev.has(spec.name) ? prev.get(spec.name)!.restartCount + (prev.get(spec.name)!.containerID ? 1 : 0) : 0,
      crashes: 0,
      state: { waiting: { reason: "ContainerCreating" } },
      ready: false,
      started: false,
      probes: [],
    });
    this.slots = [
      ...(pod.spec?.initContainers ?? []).map((c) => slot(c, true)),
      ...(pod.spec?.containers ?? []).map((c) => slot(c, false)),
    ];
  }

  get name(): string {
    return this.pod.metadata!.name!;
  }

  get namespace(): string {
    return this.pod.metadata!.namespace!;
  }

  private get restartPolicy(): RestartPolicy {
    return (this.pod.spec?.restartPolicy as RestartPolicy) ?? "Always";
  }

  /** Sets up the pod's network and starts its containers. */
  start(): Promise<void> {
    this.starting = this.startNetwork();
    return this.starting;
  }

  /** The pod's network, retried while it fails; a termination waits for this to settle. */
  private async startNetwork(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    // A pod that ran before (the runner restarted) keeps its address, as it would keep its sandbox.
    const previous = this.pod.status?.podIP;
    const address = previous && this.ctx.pool.claim(previous) ? previous : this.ctx.pool.allocate();
    for (;;) {
      try {
        await createPodNetwork(this.uid, address);
        break;
      } catch (err) {
        this.log.warn({ error: String(err) }, "pod network not created; retrying");
        this.event("Warning", "FailedCreatePodSandBox", `network namespace: ${String(err)}`);
        await sleep(CONFIG_RETRY_MS);
        if (this.terminating) {
          this.ctx.pool.release(address);
          return;
        }
      }
    }
    this.podIP = address;
    this.startTime = new Date();
    this.timeline.mark("network");
    this.log.info({ netns: netnsName(this.uid), podIP: this.podIP }, "pod network ready");
    this.sync();
    if (!this.terminating) void this.setup();
  }

  /** Volumes and kubelet-API objects; retried while a referenced object is missing. */
  private async setup(): Promise<void> {
    if (this.stopped || this.terminating) return;
    try {
      const { paths, stop } = await prepareVolumes({
        pod: this.pod,
        podIP: this.podIP!,
        hostIP: this.ctx.hostIP,
        dir: path.join(this.dir, "volumes"),
        refs: this.ctx.refs,
        core: this.ctx.core,
        log: this.log,
      });
      this.volumes = paths;
      this.stopVolumes = stop;
      if (this.stopped || this.terminating) return stop();
    } catch (err) {
      const message = messageOf(err);
      this.log.warn({ error: message }, "volumes not ready; retrying");
      this.event("Warning", "FailedMount", message);
      for (const s of this.slots) if (!s.proc) s.state = { waiting: { reason: "ContainerCreating", message } };
      this.sync();
      this.setupTimer = setTimeout(() => void this.setup(), CONFIG_RETRY_MS);
      return;
    }
    this.timeline.mark("volumes");
    this.log.debug("volumes ready");
    // Off the start path: they serve kubectl logs/exec/port-forward, which can wait a moment.
    this.ctx.kubeletObjects
      .apply(
        this.pod,
        this.dir,
        this.slots.map((s) => s.spec),
      )
      .then(
        () => this.log.debug("kubelet API objects written"),
        (err) => {
          // 403 in a namespace being deleted: the pod is going anyway.
          const level = (err as { code?: number }).code === 403 ? "debug" : "warn";
          this.log[level]({ error: String(err) }, "kubelet API objects (logs/exec/port-forward) not written");
        },
      );
    this.next();
  }

  /** Starts what can run now: the next init container, or all containers once init is done. */
  private next(): void {
    if (this.stopped || this.terminating) return;
    const inits = this.slots.filter((s) => s.init);
    const pendingInit = inits.find((s) => !s.finished || s.finished.exitCode !== 0);
    if (pendingInit) {
      if (!pendingInit.proc && !pendingInit.timer && !pendingInit.finished) void this.startContainer(pendingInit);
      this.sync();
      return;
    }
    for (const s of this.slots) if (!s.init && !s.proc && !s.timer && !s.finished) void this.startContainer(s);
    this.sync();
  }

  private baseEnv(slot: ContainerSlot, pathDirs: string[]): Record<string, string> {
    const host = this.ctx.hostIP;
    const port = this.ctx.apiserverPort;
    return {
      PATH: [...pathDirs, this.ctx.hostPath].filter(Boolean).join(":"),
      HOSTNAME: this.pod.spec?.hostname ?? this.name,
      HOME: "/root",
      // What a cluster gives every container for the `kubernetes` Service: the API server.
      KUBERNETES_SERVICE_HOST: host,
      KUBERNETES_SERVICE_PORT: port,
      KUBERNETES_SERVICE_PORT_HTTPS: port,
      KUBERNETES_PORT: `tcp://${host}:${port}`,
      [`KUBERNETES_PORT_${port}_TCP`]: `tcp://${host}:${port}`,
      [`KUBERNETES_PORT_${port}_TCP_PROTO`]: "tcp",
      [`KUBERNETES_PORT_${port}_TCP_PORT`]: port,
      [`KUBERNETES_PORT_${port}_TCP_ADDR`]: host,
      ...(slot.spec.tty ? { TERM: "xterm" } : {}),
    };
  }

  private async startContainer(slot: ContainerSlot): Promise<void> {
    if (this.stopped || this.terminating || slot.launching || slot.proc) return;
    slot.launching = true;
    try {
      await this.launch(slot);
    } catch (err) {
      // Whatever keeps a container from starting is reported on it and retried, never fatal.
      const message = messageOf(err);
      this.block(slot, err instanceof ConfigError ? "CreateContainerConfigError" : "CreateContainerError", message);
    } finally {
      slot.launching = false;
    }
  }

  private async launch(slot: ContainerSlot): Promise<void> {
    const c = slot.spec;
    let argv: string[];
    let env: Map<string, string>;
    try {
      // pathDirs depend only on the image; resolve once without args to learn them.
      const probe = resolveCommand(c.image ?? "", ["true"], [], this.ctx.lookup);
      env = await containerEnv({
        pod: this.pod,
        container: c,
        podIP: this.podIP!,
        hostIP: this.ctx.hostIP,
        base: this.baseEnv(slot, probe.ok ? probe.pathDirs : []),
        refs: this.ctx.refs,
      });
      const r = resolveCommand(c.image ?? "", expandArgv(c.command, env), expandArgv(c.args, env), this.ctx.lookup);
      if (!r.ok) {
        this.block(slot, r.reason, r.message);
        return;
      }
      argv = r.argv;
    } catch (err) {
      if (err instanceof ConfigError) {
        this.block(slot, "CreateContainerConfigError", err.message);
        return;
      }
      throw err;
    }

    // From here to the spawn nothing awaits: a termination that began meanwhile is seen here.
    if (this.stopped || this.terminating) return;
    const mounts = containerMounts(c, this.volumes!);
    for (const m of mounts) {
      if (!this.mountReleases.has(m.target)) {
        this.mountReleases.set(m.target, this.ctx.mountPoints.ensure(m.target, fs.statSync(m.source).isFile()));
      }
    }
    const cdir = path.join(this.dir, "containers", c.name);
    const logFile = path.join(this.dir, "logs", `${c.name}.log`);
    // The previous run's log stays readable as `kubectl logs --previous`.
    if (fs.existsSync(logFile)) fs.renameSync(logFile, path.join(this.dir, "logs", `${c.name}.previous.log`));

    const proc = new ContainerProcess({
      netns: netnsName(this.uid),
      hostname: this.pod.spec?.hostname ?? this.name,
      argv,
      env,
      mounts,
      workingDir: c.workingDir || "/",
      dir: cdir,
      logFile,
    });
    slot.proc = proc;
    slot.env = env;
    slot.containerID = `regnet://${proc.pid}`;
    slot.state = { running: { startedAt: proc.startedAt } };
    slot.ready = false;
    slot.started = !c.startupProbe;
    this.everStarted = true;
    this.timeline.mark(`started ${c.name}`);
    this.log.info({ container: c.name, pid: proc.pid, program: argv[0] }, "container started");
    this.event("Normal", "Started", `Started container ${c.name}`, c.name);
    this.startProbes(slot);
    void proc.exited.then((exit) => this.onExit(slot, proc, exit));
    this.sync();
  }

  /** A container that cannot start yet: Waiting with the reason, an Event, a retry. */
  private block(slot: ContainerSlot, reason: string, message: string): void {
    const first = slot.state.waiting?.reason !== reason;
    slot.state = { waiting: { reason, message } };
    if (first) {
      this.log.warn({ container: slot.spec.name, reason, message }, "container cannot start");
      this.event("Warning", reason, message, slot.spec.name);
    }
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void this.startContainer(slot);
    }, CONFIG_RETRY_MS);
    this.sync();
  }

  private startProbes(slot: ContainerSlot): void {
    const c = slot.spec;
    const proc = slot.proc!;
    const target = {
      podIP: this.podIP!,
      pid: proc.pid,
      env: slot.env!,
      workingDir: c.workingDir || "/",
      ports: c.ports ?? [],
      startedAt: proc.startedAt,
    };
    const readiness = (): void => {
      if (slot.init) return;
      if (!c.readinessProbe) {
        slot.ready = true;
        this.sync();
        return;
      }
      const loop = new ProbeLoop(c.readinessProbe, target, (ok, message) => {
        if (slot.proc !== proc) return;
        slot.ready = ok;
        if (ok) this.timeline.mark(`ready ${c.name}`);
        if (!ok) this.event("Warning", "Unhealthy", `Readiness probe failed: ${message}`, c.name);
        this.log.info({ container: c.name, ready: ok }, "readiness changed");
        this.sync();
      });
      slot.probes.push(loop);
      loop.start();
    };
    const liveness = (): void => {
      if (!c.livenessProbe) return;
      const loop = new ProbeLoop(c.livenessProbe, target, (ok, message) => {
        if (ok || slot.proc !== proc) return;
        this.event("Warning", "Unhealthy", `Liveness probe failed: ${message}`, c.name);
        this.event("Normal", "Killing", `Container ${c.name} failed liveness probe, will be restarted`, c.name);
        void this.stopContainer(slot, this.pod.spec?.terminationGracePeriodSeconds ?? 30);
      });
      slot.probes.push(loop);
      loop.start();
    };
    if (c.startupProbe) {
      const loop = new ProbeLoop(c.startupProbe, target, (ok, message) => {
        if (slot.proc !== proc) return;
        if (ok) {
          slot.started = true;
          this.sync();
          readiness();
          liveness();
        } else {
          this.event("Warning", "Unhealthy", `Startup probe failed: ${message}`, c.name);
          void this.stopContainer(slot, this.pod.spec?.terminationGracePeriodSeconds ?? 30);
        }
      });
      slot.probes.push(loop);
      loop.start();
    } else {
      readiness();
      liveness();
    }
  }

  private stopProbes(slot: ContainerSlot): void {
    for (const p of slot.probes) p.stop();
    slot.probes = [];
  }

  private onExit(slot: ContainerSlot, proc: ContainerProcess, exit: Exit): void {
    if (slot.proc !== proc) return;
    this.stopProbes(slot);
    slot.proc = undefined;
    slot.ready = false;
    const terminated: k8s.V1ContainerStateTerminated = {
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? "Completed" : "Error",
      startedAt: proc.startedAt,
      finishedAt: exit.finishedAt,
      containerID: slot.containerID,
      ...terminationMessage(slot.spec, exit),
    };
    this.log.info({ container: slot.spec.name, pid: proc.pid, exitCode: exit.exitCode, signal: exit.signal }, "container exited");
    if (this.terminating || this.stopped) {
      slot.state = { terminated };
      slot.finished = { exitCode: exit.exitCode };
      this.sync();
      return;
    }
    const restart = slot.init ? exit.exitCode !== 0 && this.restartPolicy !== "Never" : shouldRestart(this.restartPolicy, exit.exitCode);
    if (!restart) {
      slot.state = { terminated };
      slot.finished = { exitCode: exit.exitCode };
      this.next();
      return;
    }
    const ranFor = (exit.finishedAt.getTime() - proc.startedAt.getTime()) / 1000;
    slot.crashes = ranFor >= BACKOFF_RESET_SECONDS ? 1 : slot.crashes + 1;
    const delay = backoffSeconds(slot.crashes);
    slot.lastState = { terminated };
    slot.state = {
      waiting: {
        reason: "CrashLoopBackOff",
        message: `back-off ${delay}s restarting failed container=${slot.spec.name} pod=${this.name}_${this.namespace}(${this.uid})`,
      },
    };
    this.event("Warning", "BackOff", `Back-off restarting failed container ${slot.spec.name} in pod ${this.name}`, slot.spec.name);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      slot.restartCount++;
      void this.startContainer(slot);
    }, delay * 1000);
    this.sync();
  }

  /** SIGTERM, then SIGKILL after `graceSeconds`; resolves when the process is gone. */
  private async stopContainer(slot: ContainerSlot, graceSeconds: number): Promise<void> {
    const proc = slot.proc;
    if (!proc) return;
    proc.signal("SIGTERM");
    const timer = setTimeout(() => {
      this.log.info({ container: slot.spec.name, pid: proc.pid }, "grace period over: SIGKILL");
      proc.signal("SIGKILL");
    }, graceSeconds * 1000);
    await proc.exited;
    clearTimeout(timer);
  }

  /**
   * Stops everything and cleans up. `deleted`: the pod is going (its deletionTimestamp is set, or
   * it is gone): complete the deletion and drop its files. Otherwise the runner is stopping, and
   * the pod's volumes stay for the next runner, as a node keeps them across a kubelet restart.
   */
  terminate(graceSeconds: number, { deleted, finalize }: { deleted: boolean; finalize: boolean }): Promise<void> {
    if (!this.terminating) {
      this.terminating = (async () => {
        // Never tear down a network that is still being made.
        await this.starting?.catch(() => undefined);
        // A stopping runner leaves the pods' status as it is, as a kubelet that goes down does.
        if (!deleted) this.quiet = true;
        if (this.setupTimer) clearTimeout(this.setupTimer);
        for (const s of this.slots) {
          if (s.timer) clearTimeout(s.timer);
          s.timer = undefined;
          this.stopProbes(s);
          if (s.proc) this.event("Normal", "Killing", `Stopping container ${s.spec.name}`, s.spec.name);
        }
        this.log.info({ graceSeconds }, "terminating pod");
        await Promise.all(this.slots.map((s) => this.stopContainer(s, graceSeconds)));
        this.stopped = true;
        // Its processes are gone: release the name at once (a StatefulSet waits for it), then tidy up.
        if (finalize) await this.finalize();
        await this.cleanup(deleted);
      })();
    }
    return this.terminating;
  }

  private async cleanup(dropFiles: boolean): Promise<void> {
    this.stopped = true;
    this.stopVolumes?.();
    // Anything a container left behind in the namespace (double-forked daemons) goes with it.
    for (const pid of await netnsPids(netnsName(this.uid))) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await deletePodNetwork(this.uid, this.podIP);
    if (this.podIP) this.ctx.pool.release(this.podIP);
    for (const release of this.mountReleases.values()) release();
    this.mountReleases.clear();
    await this.syncChain;
    if (dropFiles) fs.rmSync(this.dir, { recursive: true, force: true });
    this.log.info("pod stopped and cleaned up");
  }

  /** Completes the deletion the API server is waiting for: grace 0, only this very pod (UID). */
  private async finalize(): Promise<void> {
    try {
      await metrics.time("delete pod", () =>
        this.ctx.core.deleteNamespacedPod({
          name: this.name,
          namespace: this.namespace,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
        }),
      );
      this.log.info("pod deletion finalized");
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404 && code !== 409) this.log.warn({ error: String(err) }, "finalizing deletion failed");
    }
  }

  /** The newest version of the pod from the informer. */
  update(pod: k8s.V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace, { deleted: true, finalize: true }).catch((err) =>
        this.log.error({ error: String(err) }, "termination failed"),
      );
    }
  }

  private status(): k8s.V1PodStatus {
    const prev = this.pod.status?.conditions;
    const view = (s: ContainerSlot): k8s.V1ContainerStatus => ({
      name: s.spec.name,
      image: s.spec.image ?? "",
      imageID: `regnet://${s.spec.image ?? ""}`,
      ...(s.containerID ? { containerID: s.containerID } : {}),
      ready: s.ready,
      started: s.init ? undefined : !!s.proc && s.started,
      restartCount: s.restartCount,
      state: s.state,
      ...(s.lastState ? { lastState: s.lastState } : { lastState: {} }),
    });
    const inits = this.slots.filter((s) => s.init);
    const mains = this.slots.filter((s) => !s.init);
    const initDone = inits.every((s) => s.finished?.exitCode === 0);
    const initFailed = inits.some((s) => s.finished && s.finished.exitCode !== 0);
    const containersReady = mains.every((s) => s.ready);
    const phase = podPhase(
      { done: initDone, failed: initFailed },
      mains.map((s) => ({ running: !!s.proc, terminatedFor: s.finished })),
      this.everStarted && initDone,
    );
    const notReady = mains.filter((s) => !s.ready).map((s) => s.spec.name);
    const scheduled = prev?.find((c) => c.type === "PodScheduled");
    const conditions = [
      condition(prev, "PodReadyToStartContainers", !!this.podIP && !this.stopped),
      condition(
        prev,
        "Initialized",
        initDone,
        "ContainersNotInitialized",
        `containers with incomplete status: [${inits
          .filter((s) => !s.finished)
          .map((s) => s.spec.name)
          .join(" ")}]`,
      ),
      condition(
        prev,
        "Ready",
        containersReady && !this.stopped,
        "ContainersNotReady",
        `containers with unready status: [${notReady.join(" ")}]`,
      ),
      condition(
        prev,
        "ContainersReady",
        containersReady && !this.stopped,
        "ContainersNotReady",
        `containers with unready status: [${notReady.join(" ")}]`,
      ),
      ...(scheduled ? [scheduled] : []),
    ];
    return {
      phase,
      conditions,
      hostIP: this.ctx.hostIP,
      hostIPs: [{ ip: this.ctx.hostIP }],
      ...(this.podIP ? { podIP: this.podIP, podIPs: [{ ip: this.podIP }] } : {}),
      ...(this.startTime ? { startTime: this.startTime } : {}),
      ...(inits.length ? { initContainerStatuses: inits.map(view) } : {}),
      containerStatuses: mains.map(view),
      ...(this.pod.status?.qosClass ? { qosClass: this.pod.status.qosClass } : {}),
    };
  }

  /** Coalesces status changes into one merge patch at a time, skipping unchanged ones. */
  sync(): void {
    if (this.syncQueued || this.quiet) return;
    this.syncQueued = true;
    this.syncChain = this.syncChain.then(async () => {
      await sleep(20);
      this.syncQueued = false;
      const status = this.status();
      const body = JSON.stringify(status, (k, v: unknown) => (k === "lastTransitionTime" ? undefined : v));
      if (body === this.lastStatus) return;
      try {
        const pod = await metrics.time("patch pod status", () =>
          this.ctx.core.patchNamespacedPodStatus(
            { name: this.name, namespace: this.namespace, body: { status } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
          ),
        );
        this.lastStatus = body;
        this.patched(status);
        if (pod.metadata?.uid === this.uid) this.pod = { ...this.pod, status: pod.status };
        this.log.debug({ phase: status.phase, ready: status.conditions?.find((c) => c.type === "Ready")?.status }, "status patched");
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404) return;
        this.log.warn({ error: String(err) }, "status patch failed; retrying");
        setTimeout(() => this.sync(), 1000);
      }
    });
  }

  /** Marks the start steps the API server now has; once Ready is there, logs the pod's start timeline. */
  private patched(status: k8s.V1PodStatus): void {
    if (this.timeline.has("ready patched")) return;
    const mains = status.containerStatuses ?? [];
    if (mains.length > 0 && mains.every((c) => c.state?.running)) this.timeline.mark("running patched");
    if (status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) {
      this.timeline.mark("ready patched");
      const created = this.pod.metadata?.creationTimestamp;
      this.log.info(
        {
          steps: this.timeline.steps,
          ...(created ? { createdToSeenS: Math.round((this.seenAt - new Date(created).getTime()) / 100) / 10 } : {}),
        },
        "pod started",
      );
    }
  }

  private event(type: "Normal" | "Warning", reason: string, message: string, container?: string): void {
    const now = new Date();
    metrics
      .time("create event", () =>
        this.ctx.core.createNamespacedEvent({
          namespace: this.namespace,
          body: {
            metadata: { generateName: `${this.name}.`, namespace: this.namespace },
            involvedObject: {
              apiVersion: "v1",
              kind: "Pod",
              name: this.name,
              namespace: this.namespace,
              uid: this.uid,
              ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
            },
            reason,
            message,
            type,
            source: { component: "regnet-node-runner", host: this.pod.spec?.nodeName },
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        }),
      )
      .catch((err) => this.log.debug({ error: String(err) }, "event not recorded"));
  }
}
