// Process bookkeeping for the sandbox's daemons: liveness that treats zombies as gone, bounded
// waits, and finding leftovers by what their command line names.
import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** True when `pid` is a live (non-zombie) process. */
export function alive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until none of `pids` is alive; returns the ones still alive at the deadline. */
async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(alive);
    if (!left.length || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/** SIGTERM, then SIGKILL after `graceMs` for whatever is still alive. */
export async function terminate(pids: number[], graceMs: number): Promise<void> {
  const live = pids.filter(alive);
  for (const pid of live) signal(pid, "SIGTERM");
  const left = await waitGone(live, graceMs);
  for (const pid of left) signal(pid, "SIGKILL");
  await waitGone(left, 5_000);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Live processes whose command line contains `needle` (e.g. a sandbox's state dir). */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const pid of processIds()) {
    if (pid === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (cmd.includes(needle) && alive(pid)) found.push({ pid, cmd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** A process's command name, for messages ("?" once it is gone). */
export function processName(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/** The pids in /proc now (a snapshot: any may exit at once). */
export function processIds(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

/** Listening TCP sockets (IPv4 and IPv6) from /proc/net/tcp*: port → the sockets' inodes. */
function listeningSockets(): Map<number, Set<string>> {
  const sockets = new Map<number, Set<string>>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== "0A") continue; // 0A = LISTEN
      const port = parseInt(cols[1].split(":")[1], 16);
      sockets.set(port, (sockets.get(port) ?? new Set()).add(cols[9]));
    }
  }
  return sockets;
}

/** TCP ports some process listens on (IPv4 and IPv6). */
export function listeningPorts(): Set<number> {
  return new Set(listeningSockets().keys());
}

/**
 * Who listens on each of `ports` that is listened on: the pids whose open fds include the listening
 * socket (empty when that process is not ours to look into).
 */
export function listeners(ports: number[]): Map<number, number[]> {
  const byInode = new Map<string, number>();
  for (const [port, inodes] of listeningSockets()) if (ports.includes(port)) for (const i of inodes) byInode.set(`socket:[${i}]`, port);
  const out = new Map<number, number[]>([...new Set(byInode.values())].map((port) => [port, []]));
  if (!byInode.size) return out;
  for (const pid of processIds()) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited meanwhile, or not ours
    }
    const held = new Set<number>();
    for (const fd of fds) {
      try {
        const port = byInode.get(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (port !== undefined) held.add(port);
      } catch {
        // closed meanwhile
      }
    }
    for (const port of held) out.get(port)!.push(pid);
  }
  return out;
}

/** Runs `fn` holding a lock file that records our pid; a lock whose owner died is taken over. */
export async function withPidLock<T>(file: string, onWait: (owner: number) => void, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = readPid(file);
      if (!owner || !alive(owner)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!announced) onWait(owner);
      announced = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
