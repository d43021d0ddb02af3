// Which sandbox this is. The default one lives in `<repo>/.regnet` and owns bridge `regnet0`
// (10.244.0.1/16) and the network namespaces `regnet-*`. Another, independent one (a CI clone on the
// same machine, or the lifecycle test) is named by REGNET_SANDBOX and gets a slot 1..9 of its own:
// bridge `regnet<N>`, subnet 10.<244+N>.0.0/16, namespaces `regnet<N>-*`. Bridge names, namespaces
// and ports are machine-wide, so a slot is claimed in /run/regnet/slots/<N> (tmpfs: reboots clear it,
// as they clear bridges) with the owner's state dir. The control plane's ports come with the slot too.
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../toolchain/paths";
import { withPidLock } from "./procs";

/** Machine-wide slot claims (REGNET_SLOTS_DIR only for tests of the claiming itself). */
const slotsDir = (env: NodeJS.ProcessEnv = process.env) => env.REGNET_SLOTS_DIR || "/run/regnet/slots";
const MAX_SLOT = 9;

/** The control plane's ports, named as kwokctl's configuration names them. */
export type ControlPlanePorts = Record<
  "kubeApiserverPort" | "etcdPort" | "etcdPeerPort" | "kwokControllerPort" | "kubeControllerManagerPort" | "kubeSchedulerPort",
  number
>;

export interface SandboxNetwork {
  /** Bridge the pods' veths attach to; its address is the pods' gateway and the API server's address for pods. */
  bridge: string;
  gateway: string;
  prefixLen: number;
  /** Every pod network namespace of this sandbox starts with this; nothing else may. */
  netnsPrefix: string;
}

export interface SandboxInstance extends SandboxNetwork {
  name: string;
  slot: number;
  ports: ControlPlanePorts;
  /** State dir: kubeconfig, kwokctl workdir, runner state, logs. */
  dir: string;
  kubeconfig: string;
  kwokWorkdir: string;
  clusterName: string;
  runnerStateDir: string;
  runnerLog: string;
  runnerPidFile: string;
}

export function sandboxName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.REGNET_SANDBOX || "default";
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(name)) {
    throw new Error(`REGNET_SANDBOX="${name}" is not a valid sandbox name: use lower-case letters, digits and '-'`);
  }
  return name;
}

/**
 * State dir: $REGNET_SANDBOX_DIR, else `<repo>/.regnet` for the default sandbox and
 * `<repo>/.regnet/sandboxes/<name>` for a named one, so instances in one checkout never share a
 * kubeconfig, kwok workdir or runner.
 */
export function sandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REGNET_SANDBOX_DIR) return path.resolve(env.REGNET_SANDBOX_DIR);
  const name = sandboxName(env);
  const base = path.join(repoRoot, ".regnet");
  return name === "default" ? base : path.join(base, "sandboxes", name);
}

export function networkForSlot(slot: number): SandboxNetwork {
  return {
    bridge: `regnet${slot}`,
    gateway: `10.${244 + slot}.0.1`,
    prefixLen: 16,
    netnsPrefix: slot === 0 ? "regnet-" : `regnet${slot}-`,
  };
}

/**
 * Ten ports per slot from 27400, below the kernel's ephemeral range (32768 and up), so no port-0 bind
 * or outgoing connection takes one. Fixed, not probed: a component that crashes and is started again
 * must find its port free, and the ports kwokctl probes as unused at create time promised nothing
 * once the process died (CI: another sandbox coming up during the faults battery's API server
 * restart took that port, and the API server never came back).
 */
const PORT_BASE = 27400;

export function portsForSlot(slot: number): ControlPlanePorts {
  const base = PORT_BASE + slot * 10;
  return {
    kubeApiserverPort: base,
    etcdPort: base + 1,
    etcdPeerPort: base + 2,
    kwokControllerPort: base + 3,
    kubeControllerManagerPort: base + 4,
    kubeSchedulerPort: base + 5,
  };
}

function instanceAt(name: string, dir: string, slot: number): SandboxInstance {
  return {
    name,
    slot,
    dir,
    ...networkForSlot(slot),
    ports: portsForSlot(slot),
    kubeconfig: path.join(dir, "kubeconfig"),
    kwokWorkdir: path.join(dir, "kwok"),
    clusterName: "regnet",
    runnerStateDir: path.join(dir, "runner"),
    runnerLog: path.join(dir, "runner.log"),
    runnerPidFile: path.join(dir, "runner.pid"),
  };
}

const recordFile = (dir: string) => path.join(dir, "instance.json");

/** The instance as recorded by `up`, or (before any `up`) where it would be; slot -1 if unknown. */
export function currentInstance(env: NodeJS.ProcessEnv = process.env): SandboxInstance {
  const name = sandboxName(env);
  const dir = sandboxDir(env);
  try {
    const rec = JSON.parse(fs.readFileSync(recordFile(dir), "utf8")) as { name: string; slot: number };
    if (rec.name === name) return instanceAt(name, dir, rec.slot);
  } catch {
    // not up yet
  }
  return instanceAt(name, dir, name === "default" ? 0 : -1);
}

/** Claims this sandbox's slot (the default sandbox always gets 0) and records it in the state dir. */
export function claimInstance(env: NodeJS.ProcessEnv = process.env): SandboxInstance {
  const name = sandboxName(env);
  const dir = sandboxDir(env);
  const slots = slotsDir(env);
  fs.mkdirSync(slots, { recursive: true });
  const current = currentInstance(env);
  const candidates = name === "default" ? [0] : [current.slot, ...Array.from({ length: MAX_SLOT }, (_, i) => i + 1)].filter((s) => s > 0);
  for (const slot of candidates) {
    const file = path.join(slots, String(slot));
    const owner = readOwner(file);
    if (owner && owner !== dir && ownerStillHolds(owner, slot)) {
      if (name === "default") {
        throw new Error(
          `the default sandbox (bridge regnet0) belongs to ${owner}; bring that one down, or give this one ` +
            `its own network with REGNET_SANDBOX=<name>`,
        );
      }
      continue;
    }
    fs.writeFileSync(file, dir);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(recordFile(dir), JSON.stringify({ name, slot }) + "\n");
    return instanceAt(name, dir, slot);
  }
  throw new Error(`all ${MAX_SLOT} extra sandbox slots are in use (see ${slots}); bring one down first`);
}

/** Slots no live sandbox holds: a bridge or namespaces of theirs are a dead sandbox's leftovers. */
export function unheldSlots(env: NodeJS.ProcessEnv = process.env): number[] {
  const slots = slotsDir(env);
  return Array.from({ length: MAX_SLOT + 1 }, (_, slot) => slot).filter((slot) => {
    const owner = readOwner(path.join(slots, String(slot)));
    return !owner || !ownerStillHolds(owner, slot);
  });
}

/** Runs `fn` holding the machine-wide slot lock, so that no claim lands while unheld slots are swept. */
export function withSlotsLock<T>(onWait: (owner: number) => void, fn: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const slots = slotsDir(env);
  fs.mkdirSync(slots, { recursive: true });
  return withPidLock(path.join(slots, "lock"), onWait, fn);
}

/** Gives the slot back (after `down`). */
export function releaseInstance(inst: SandboxInstance, env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(slotsDir(env), String(inst.slot));
  if (readOwner(file) === inst.dir) fs.rmSync(file, { force: true });
  fs.rmSync(recordFile(inst.dir), { force: true });
}

function readOwner(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function ownerStillHolds(ownerDir: string, slot: number): boolean {
  try {
    return (JSON.parse(fs.readFileSync(recordFile(ownerDir), "utf8")) as { slot: number }).slot === slot;
  } catch {
    return false;
  }
}

/** Environment that tells the node runner which network is its own. */
export function runnerNetworkEnv(inst: SandboxNetwork): Record<string, string> {
  return {
    REGNET_BRIDGE: inst.bridge,
    REGNET_GATEWAY: inst.gateway,
    REGNET_PREFIX_LEN: String(inst.prefixLen),
    REGNET_NETNS_PREFIX: inst.netnsPrefix,
  };
}
