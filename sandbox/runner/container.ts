// One run of a container: a host process in the pod's network namespace and in a private mount and
// UTS namespace of its own (its volumes bind-mounted at their mountPaths, the pod's hostname), with
// stdout/stderr written to a CRI-format log file (what `kubectl logs` reads through KWOK).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { metrics } from "./metrics";
import type { BindMount } from "./volumes";

export interface LaunchSpec {
  netns: string;
  hostname: string;
  argv: string[];
  env: ReadonlyMap<string, string>;
  mounts: BindMount[];
  workingDir: string;
  /** Folder of this container's run files (launch script, pid). */
  dir: string;
  logFile: string;
}

export interface Exit {
  exitCode: number;
  signal?: string;
  finishedAt: Date;
  /** The end of what the run wrote (stdout and stderr): at most TAIL_LINES lines and TAIL_BYTES bytes. */
  logTail: string;
}

/** A kubelet's FallbackToLogsOnError takes the last 80 lines or 2048 bytes of the log, whichever is less. */
const TAIL_LINES = 80;
export const TAIL_BYTES = 2048;

/** The last `TAIL_LINES` lines, cut to their last `TAIL_BYTES` bytes (pure). */
export function logTail(lines: readonly string[]): string {
  const text = lines.slice(-TAIL_LINES).join("\n");
  const bytes = Buffer.from(text, "utf8");
  return bytes.length <= TAIL_BYTES ? text : bytes.subarray(bytes.length - TAIL_BYTES).toString("utf8");
}

/** POSIX shell single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The script run inside the new namespaces before exec'ing the program (kept for inspection). */
export function launchScript(spec: Pick<LaunchSpec, "hostname" | "mounts" | "workingDir">): string {
  const lines = ["set -e", `echo ${shQuote(spec.hostname)} > /proc/sys/kernel/hostname`];
  for (const m of spec.mounts) {
    lines.push(`mount --bind ${shQuote(m.source)} ${shQuote(m.target)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shQuote(m.target)}`);
  }
  lines.push(`mkdir -p ${shQuote(spec.workingDir)}`, `cd ${shQuote(spec.workingDir)}`, `exec "$@"`);
  return lines.join("\n") + "\n";
}

/** Appends a stream to a CRI log file as `<RFC3339Nano> <stream> F <line>`, keeping the last lines in `recent`. */
function pipeToCriLog(stream: NodeJS.ReadableStream, name: "stdout" | "stderr", out: fs.WriteStream, recent: string[]): Promise<void> {
  let pending = "";
  const write = (line: string): void => {
    out.write(`${new Date().toISOString().replace("Z", "000000Z")} ${name} F ${line}\n`);
    recent.push(line);
    if (recent.length > TAIL_LINES) recent.shift();
  };
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) !== -1) {
      write(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  return new Promise((resolve) =>
    stream.on("close", () => {
      if (pending) write(pending);
      resolve();
    }),
  );
}

export const BIN = { ip: "/usr/sbin/ip", unshare: "/usr/bin/unshare", sh: "/bin/sh", nsenter: "/usr/bin/nsenter" };

export class ContainerProcess {
  readonly pid: number;
  readonly startedAt = new Date();
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private done = false;

  constructor(spec: LaunchSpec) {
    fs.mkdirSync(spec.dir, { recursive: true });
    const script = path.join(spec.dir, "launch.sh");
    fs.writeFileSync(script, launchScript(spec), { mode: 0o600 });
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const log = fs.createWriteStream(spec.logFile, { flags: "a" });
    // ip netns exec / unshare (no --fork) / sh all exec in place: the pid is the program's own.
    metrics.spawned("container");
    this.child = spawn(
      BIN.ip,
      ["netns", "exec", spec.netns, BIN.unshare, "--mount", "--uts", "--propagation", "private", "--", BIN.sh, script, ...spec.argv],
      { env: Object.fromEntries(spec.env), stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    this.pid = this.child.pid ?? -1;
    // What `kubectl exec` enters (exec-shim.ts); removed on exit so a reused pid is never entered.
    const pidFile = path.join(spec.dir, "pid");
    if (this.pid > 0) fs.writeFileSync(pidFile, String(this.pid));
    const recent: string[] = [];
    const logsDone = Promise.all([
      pipeToCriLog(this.child.stdout!, "stdout", log, recent),
      pipeToCriLog(this.child.stderr!, "stderr", log, recent),
    ]);
    this.exited = new Promise<Exit>((resolve) => {
      let spawnError: Error | undefined;
      this.child.on("error", (err) => {
        spawnError = err;
      });
      this.child.on("close", (code, signal) => {
        this.done = true;
        fs.rmSync(pidFile, { force: true });
        const finishedAt = new Date();
        const sigNo = signal ? os.constants.signals[signal] : 0;
        // After the streams' last (unterminated) lines are in: they are what a crash says last.
        void logsDone.then(() => {
          if (spawnError) log.write(`${new Date().toISOString()} stderr F regnet runner: ${spawnError.message}\n`);
          log.end();
          resolve({ exitCode: code ?? 128 + sigNo, signal: signal ?? undefined, finishedAt, logTail: logTail(recent) });
        });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Signals the container's process group (the program and what it started). */
  signal(sig: NodeJS.Signals): void {
    if (this.done || this.pid <= 0) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        // already gone
      }
    }
  }
}
