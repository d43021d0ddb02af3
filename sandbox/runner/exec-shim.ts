// `kubectl exec` through KWOK runs the command on the host, looked up on KWOK's PATH, with the pod's
// Exec-object envs added. The runner puts a wrapper per program name first on that PATH
// (shimDir); each runs this script, which re-runs the command inside the container named by
// REGNET_EXEC_PIDFILE (its network, mount and UTS namespaces, its environment), as a kubelet's
// exec would. Without that variable (an exec for a pod the runner does not run) it runs the host's.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { whichOn } from "./images";

function main(): number {
  const [shimDir, name, ...args] = process.argv.slice(2);
  const pidFile = process.env.REGNET_EXEC_PIDFILE;
  const hostPath = (process.env.PATH ?? "")
    .split(":")
    .filter((d) => d && path.resolve(d) !== path.resolve(shimDir))
    .join(":");
  if (!pidFile) {
    const program = whichOn(name, hostPath);
    if (!program) return fail(`${name}: not found`);
    return exitCode(spawnSync(program, args, { stdio: "inherit", env: { ...process.env, PATH: hostPath } }));
  }
  let pid: string;
  let env: Record<string, string>;
  try {
    pid = fs.readFileSync(pidFile, "utf8").trim();
    env = Object.fromEntries(
      fs
        .readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
  } catch {
    return fail(`container is not running (${pidFile})`);
  }
  const program = name.includes("/") ? name : whichOn(name, env.PATH);
  if (!program) return fail(`exec: "${name}": executable file not found in $PATH`);
  const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  const r = spawnSync("/usr/bin/nsenter", ["-t", pid, "-n", "-m", "-u", `--wd=${cwd}`, "--", program, ...args], { stdio: "inherit", env });
  return exitCode(r);
}

/** A shell's view of how a child ended: its status, or 128 + the signal that killed it. */
function exitCode(r: { status: number | null; signal: NodeJS.Signals | null }): number {
  return r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0);
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 127;
}

process.exitCode = main();
