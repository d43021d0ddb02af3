// Starting and stopping the node runner (sandbox/runner/, owned by its own engineer) as a detached
// daemon: `node dist/sandbox/runner/main.js --kubeconfig <path> --state-dir <dir>/runner`.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { execShimDir } from "../runner/runner";
import { repoRoot, toolchainEnv } from "../toolchain/paths";
import { type SandboxInstance, runnerNetworkEnv } from "./instance";
import { alive, readPid, terminate } from "./procs";
import { setTimeout as sleep } from "node:timers/promises";

const RUNNER_MAIN = path.join(repoRoot, "dist", "sandbox", "runner", "main.js");

/** How long the runner gets to stop its pods after SIGTERM before it is killed. */
const RUNNER_GRACE_MS = 45_000;

export const runnerExists = () => fs.existsSync(RUNNER_MAIN);

/** The runner's pid, if it is alive and really is this sandbox's runner (pids get reused). */
export function runnerPid(inst: SandboxInstance): number | undefined {
  const pid = readPid(inst.runnerPidFile);
  if (!pid || !alive(pid)) return undefined;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmd.includes(RUNNER_MAIN) && cmd.includes(inst.runnerStateDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Environment kwok-controller needs from the runner: `kubectl exec` runs programs through
 * kwok-controller's PATH, whose first folder must be the runner's exec wrappers.
 */
export function extraKwokEnv(inst: SandboxInstance): Record<string, string> {
  return { PATH: `${execShimDir(inst.runnerStateDir)}:${toolchainEnv().PATH}` };
}

/** Environment of the runner: the toolchain, which network is its own, and the API server for pods. */
function runnerEnv(inst: SandboxInstance, apiserverPort: number): NodeJS.ProcessEnv {
  return {
    ...toolchainEnv(),
    ...runnerNetworkEnv(inst),
    REGNET_SANDBOX_DIR: inst.dir,
    REGNET_APISERVER_HOST: inst.gateway,
    REGNET_APISERVER_PORT: String(apiserverPort),
  };
}

export async function startRunner(inst: SandboxInstance, apiserverPort: number): Promise<number> {
  fs.mkdirSync(inst.runnerStateDir, { recursive: true });
  const log = fs.openSync(inst.runnerLog, "a");
  const child = spawn(
    process.execPath,
    [...profileArgs(), RUNNER_MAIN, "--kubeconfig", inst.kubeconfig, "--state-dir", inst.runnerStateDir],
    {
      cwd: repoRoot,
      env: runnerEnv(inst, apiserverPort),
      detached: true,
      stdio: ["ignore", log, log],
    },
  );
  fs.closeSync(log);
  const pid = child.pid;
  if (!pid) throw new Error(`node runner did not start; see ${inst.runnerLog}`);
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  child.unref();
  fs.writeFileSync(inst.runnerPidFile, `${pid}\n`);
  // A runner that dies at once (bad flag, missing module) is reported here, not found later.
  await sleep(1500);
  if (exited !== undefined || !alive(pid)) {
    throw new Error(`node runner exited at start (code ${exited}); last lines of ${inst.runnerLog}:\n${tail(inst.runnerLog)}`);
  }
  return pid;
}

/**
 * `REGNET_RUNNER_CPU_PROF=<dir>`: the runner writes a V8 CPU profile there when it stops (Node
 * refuses --cpu-prof in NODE_OPTIONS). For finding where a pod's start time goes; off by default.
 */
function profileArgs(): string[] {
  const dir = process.env.REGNET_RUNNER_CPU_PROF;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

/** SIGTERM (the runner stops its pods), SIGKILL after the grace period. */
export async function stopRunner(inst: SandboxInstance): Promise<void> {
  const pid = runnerPid(inst);
  if (pid) await terminate([pid], RUNNER_GRACE_MS);
  fs.rmSync(inst.runnerPidFile, { force: true });
}

function tail(file: string, n = 15): string {
  try {
    return fs
      .readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .slice(-n)
      .map((l) => `    ${l}`)
      .join("\n");
  } catch {
    return "";
  }
}
