// A node pod's main container run on the host as its securityContext says — the pod's runAsUser,
// runAsGroup and fsGroup, no capabilities, no new privileges — on a data folder prepared as the
// kubelet prepares an fsGroup volume (group fsGroup, g+rwx, setgid), with the Secret's files 0444,
// the container's env and an /etc/passwd without the user (as in an image that does not name it:
// the runtime then sets HOME to "/"). The sandbox's node runner runs pods as root; this is how the
// tests see a node work as its non-root user. Volume paths are moved under a temporary folder (no
// host mount points), and the process gets a network namespace of its own.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { DATA_DIR } from "../../provider/engine/desired";
import { toolPath, type BinaryName } from "../../sandbox/toolchain/paths";
import { waitFor } from "./cluster";
import { setTimeout as sleep } from "node:timers/promises";

export interface NonRootRun {
  /** Everything the process printed. */
  output: string;
  /** Owners (uid) of what it wrote in the data folder. */
  dataOwners: number[];
}

/**
 * Starts `pod`'s first container as above and resolves once its output matches `ready`; rejects
 * when it exits first or within `timeoutMs`. The process is stopped and the folder removed.
 */
export async function runAsPodUser(pod: k8s.V1Pod, secret: k8s.V1Secret, ready: RegExp, timeoutMs = 60_000): Promise<NonRootRun> {
  const spec = pod.spec!;
  const c = spec.containers[0];
  const sc = spec.securityContext ?? {};
  const [uid, gid, fsGroup] = [c.securityContext?.runAsUser ?? sc.runAsUser, c.securityContext?.runAsGroup ?? sc.runAsGroup, sc.fsGroup];
  if (uid === undefined || gid === undefined || fsGroup === undefined)
    throw new Error(`${pod.metadata!.name}: no runAsUser/runAsGroup/fsGroup`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-nonroot-"));
  fs.chmodSync(dir, 0o755);
  const moved = new Map<string, string>(); // mountPath -> host folder
  for (const m of c.volumeMounts ?? []) {
    const host = path.join(dir, m.name);
    fs.mkdirSync(host);
    const volume = spec.volumes?.find((v) => v.name === m.name);
    if (volume?.secret) {
      for (const [k, v] of Object.entries(secret.data ?? {}))
        fs.writeFileSync(path.join(host, k), Buffer.from(v, "base64"), { mode: 0o444 });
      fs.chmodSync(host, 0o755);
    } else {
      fs.chownSync(host, 0, fsGroup);
      fs.chmodSync(host, 0o2775);
    }
    moved.set(m.mountPath, host);
  }
  const relocate = (s: string) => [...moved].reduce((acc, [from, to]) => acc.replace(new RegExp(`(^|=)${from}(?=/|$)`, "g"), `$1${to}`), s);
  const env: Record<string, string> = { PATH: "/usr/bin:/bin", HOME: "/" };
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (e.value !== undefined) env[e.name] = relocate(e.value);
    else if (ref) env[e.name] = Buffer.from(secret.data![ref.key], "base64").toString("utf8");
  }
  const args = (c.args ?? []).map((a) => relocate(a.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? "")));
  // /root is 0700 on this machine: the program must sit where its user can run it.
  const program = path.join(dir, c.command![0]);
  fs.copyFileSync(toolPath(c.command![0] as BinaryName), program);
  fs.chmodSync(program, 0o755);
  const passwd = path.join(dir, "passwd");
  fs.writeFileSync(passwd, "root:x:0:0:root:/root:/bin/sh\n");

  const setpriv = [
    "setpriv",
    `--reuid=${uid}`,
    `--regid=${gid}`,
    `--groups=${fsGroup}`,
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
  ];
  const envArgs = ["env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const child = spawn(
    "unshare",
    ["--mount", "--net", "sh", "-c", 'mount --bind "$0" /etc/passwd && exec "$@"', passwd, ...setpriv, ...envArgs, program, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  let exited: number | null | undefined;
  child.stdout.on("data", (b: Buffer) => (output += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
  const closed = new Promise<void>((resolve) => child.on("close", (code) => ((exited = code), resolve())));
  try {
    const state = await waitFor(
      `${c.command![0]} as uid ${uid} to be ready`,
      async () => (exited !== undefined ? "exited" : ready.test(output) ? "ready" : undefined),
      { timeoutMs, intervalMs: 200 },
    ).catch((err: Error) => new Error(`${err.message}; its output:\n${output.slice(-2000)}`));
    if (state instanceof Error) throw state;
    if (state === "exited") throw new Error(`${c.command![0]} as uid ${uid} exited ${exited} before it was ready:\n${output.slice(-2000)}`);
    const data = moved.get(DATA_DIR)!;
    const dataOwners = [
      ...new Set(fs.readdirSync(data, { recursive: true, encoding: "utf8" }).map((f) => fs.statSync(path.join(data, f)).uid)),
    ];
    return { output, dataOwners };
  } finally {
    child.kill("SIGTERM");
    await Promise.race([closed, sleep(20_000)]);
    if (exited === undefined) child.kill("SIGKILL");
    await closed;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
