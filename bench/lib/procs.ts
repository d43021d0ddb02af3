// Processes as the bench measures them: resident memory from /proc, a process's descendants (the
// Pulumi CLI and its dynamic provider are children of the bench), and the processes inside a
// sandbox pod's network namespace (the node runner runs each pod in one).
import * as fs from "node:fs";
import * as os from "node:os";
import { netnsPids } from "../../sandbox/cluster/net";
import { netnsName } from "../../sandbox/runner/netns";
import type { SandboxNetwork } from "../../sandbox/cluster/instance";

/** Resident set size in MiB (VmRSS), or undefined when the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The program name (`comm`) of a process, or undefined when it is gone. */
function comm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (children, their children, ...). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync("/proc")) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    const ppid = parentOf(pid);
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Processes in a sandbox pod (its network namespace) whose program is one of `programs`. */
export function podProcesses(net: SandboxNetwork, podUid: string, programs: readonly string[]): number[] {
  return netnsPids(netnsName(podUid, net)).filter((p) => programs.includes(comm(p) ?? ""));
}

/** Load averages (1, 5, 15 min), rounded: printed next to the timings so a reader can judge them. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = os.loadavg().map((x) => Math.round(x * 100) / 100);
  return [a, b, c];
}

/** Samples `measure` every `everyMs` until stopped; returns the largest value seen. */
export function sampleMax(measure: () => number | undefined, everyMs = 500): { stop(): number | undefined } {
  let max: number | undefined;
  const take = () => {
    const v = measure();
    if (v !== undefined && (max === undefined || v > max)) max = v;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return max;
    },
  };
}
