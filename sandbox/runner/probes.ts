// Probes run for real, as a kubelet runs them: exec inside the container's namespaces with its
// environment; tcpSocket and httpGet from the host to the pod's address over the bridge.
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type * as k8s from "@kubernetes/client-node";
import { BIN } from "./container";
import { whichOn } from "./images";
import { messageOf } from "../../provider/errors";
import { metrics } from "./metrics";

export interface ProbeTarget {
  podIP: string;
  pid: number;
  env: ReadonlyMap<string, string>;
  workingDir: string;
  ports: k8s.V1ContainerPort[];
  /** When the container started: initialDelaySeconds counts from here, as the kubelet counts it. */
  startedAt: Date;
}

interface ProbeResult {
  ok: boolean;
  message: string;
}

function portOf(port: number | string, ports: k8s.V1ContainerPort[]): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a named port of the container`);
  return named.containerPort;
}

/** Runs `argv` inside a running container (net, mount, UTS namespaces of `pid`) with its env. */
function execInContainer(
  target: Pick<ProbeTarget, "pid" | "env" | "workingDir">,
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const program = argv[0].includes("/") ? argv[0] : whichOn(argv[0], target.env.get("PATH"));
    if (!program) {
      resolve({ code: 127, output: `${argv[0]}: not found on the container's PATH` });
      return;
    }
    metrics.spawned("probe exec");
    const child = spawn(
      BIN.nsenter,
      ["-t", String(target.pid), "-n", "-m", "-u", `--wd=${target.workingDir}`, "--", program, ...argv.slice(1)],
      { env: Object.fromEntries(target.env), stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" },
    );
    let output = "";
    const take = (b: Buffer): void => {
      if (output.length < 4096) output += b.toString("utf8");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => resolve({ code: 126, output: err.message }));
    child.on("close", (code) => resolve({ code, output: output.trim() }));
  });
}

async function runProbe(probe: k8s.V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) {
      const r = await execInContainer(target, probe.exec.command ?? [], timeoutMs);
      return r.code === 0
        ? { ok: true, message: "" }
        : { ok: false, message: `exec probe exited ${r.code ?? "on timeout"}: ${r.output.slice(0, 300)}` };
    }
    if (probe.tcpSocket) {
      const port = portOf(probe.tcpSocket.port, target.ports);
      const host = probe.tcpSocket.host || target.podIP;
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ host, port, timeout: timeoutMs });
        s.once("connect", () => {
          s.destroy();
          resolve();
        });
        s.once("timeout", () => {
          s.destroy();
          reject(new Error(`dial tcp ${host}:${port}: i/o timeout`));
        });
        s.once("error", reject);
      });
      return { ok: true, message: "" };
    }
    if (probe.httpGet) {
      const g = probe.httpGet;
      const port = portOf(g.port, target.ports);
      const scheme = (g.scheme ?? "HTTP").toLowerCase();
      const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
      const status = await new Promise<number>((resolve, reject) => {
        const req = (scheme === "https" ? https : http).request(
          {
            host: g.host || target.podIP,
            port,
            path: g.path ?? "/",
            method: "GET",
            headers,
            timeout: timeoutMs,
            rejectUnauthorized: false, // as the kubelet: HTTPS probes skip verification
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.once("timeout", () => req.destroy(new Error("http probe timed out")));
        req.once("error", reject);
        req.end();
      });
      return status >= 200 && status < 400
        ? { ok: true, message: "" }
        : { ok: false, message: `HTTP probe failed with statuscode: ${status}` };
    }
    if (probe.grpc) return { ok: false, message: "grpc probes are not supported by the sandbox node runner" };
    return { ok: false, message: "probe has no handler" };
  } catch (err) {
    return { ok: false, message: messageOf(err) };
  }
}

/**
 * Runs a probe on its schedule (initialDelaySeconds, then every periodSeconds) and reports a
 * change of state once successThreshold/failureThreshold consecutive results agree.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private stopped = false;
  state: boolean | undefined = undefined;

  constructor(
    private readonly probe: k8s.V1Probe,
    private readonly target: ProbeTarget,
    private readonly onChange: (ok: boolean, message: string) => void,
  ) {}

  /**
   * Probes once the container has run initialDelaySeconds — at once if it already has (readiness
   * after a startup probe succeeded: the kubelet runs it then, not a period later).
   */
  start(): void {
    const ranMs = Date.now() - this.target.startedAt.getTime();
    this.schedule(Math.max(0, (this.probe.initialDelaySeconds ?? 0) * 1000 - ranMs));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const r = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    if (r.ok) {
      this.failures = 0;
      this.successes++;
      if (this.state !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.state = true;
        this.onChange(true, "");
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.state !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.state = false;
        this.onChange(false, r.message);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
