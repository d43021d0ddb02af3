// Leader election against the sandbox API server: one Lease, several candidates. A candidate in a
// child process is SIGKILLed to stand for a crashed replica (no release), so the survivor must wait
// out the lease; a graceful stop releases it, so the next one takes over without waiting.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import * as k8s from "@kubernetes/client-node";
import { LeaderElector } from "../../provider/controller/leader";
import { kubeConfig, repoRoot, sandboxKubeconfig, tempNamespace, waitFor } from "../support/cluster";

const LEASE = "regnet-controller-test";
let ns: { name: string; cleanup: () => Promise<void> };
const children: ChildProcess[] = [];

before(async () => {
  ns = await tempNamespace("ctl-lease");
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await ns.cleanup();
});

async function readLease(): Promise<k8s.V1Lease> {
  return kubeConfig().makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ namespace: ns.name, name: LEASE });
}

/** A candidate in its own process: prints "LEADING" when it becomes leader; SIGTERM releases. */
function candidateProcess(identity: string, leaseDurationMs: number): { proc: ChildProcess; leading: Promise<void> } {
  const leaderJs = path.join(repoRoot, "dist", "provider", "controller", "leader.js");
  const script = `
    const k8s = require("@kubernetes/client-node");
    const { LeaderElector } = require(${JSON.stringify(leaderJs)});
    const kc = new k8s.KubeConfig(); kc.loadFromFile(${JSON.stringify(process.env.KUBECONFIG ?? sandboxKubeconfig)});
    const e = new LeaderElector({ kubeConfig: kc, namespace: ${JSON.stringify(ns.name)}, name: ${JSON.stringify(LEASE)},
      identity: ${JSON.stringify(identity)}, leaseDurationMs: ${leaseDurationMs}, renewDeadlineMs: ${leaseDurationMs * 0.66}, retryPeriodMs: 300 });
    e.start({ onStartedLeading: () => console.log("LEADING"), onStoppedLeading: () => console.log("LOST") });
    process.on("SIGTERM", () => e.stop().then(() => process.exit(0)));`;
  const proc = spawn(process.execPath, ["-e", script], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
  children.push(proc);
  const leading = new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).on("line", (l) => l === "LEADING" && resolve());
    proc.once("exit", (code) => reject(new Error(`candidate ${identity} exited (${code}) before leading`)));
  });
  leading.catch(() => undefined);
  return { proc, leading };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("one leader at a time; a crashed leader is replaced after its lease runs out; a stopped one hands over at once", async () => {
  // 1. A (another process) takes the Lease.
  const a = candidateProcess("replica-a", 3000);
  await a.leading;
  assert.equal((await readLease()).spec?.holderIdentity, "replica-a");

  // 2. B (in this process) waits while A renews: several lease durations pass without a takeover.
  let bLeading = false;
  let bLost = false;
  const b = new LeaderElector({ kubeConfig: kubeConfig(), namespace: ns.name, name: LEASE, identity: "replica-b", leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 });
  b.start({ onStartedLeading: () => (bLeading = true), onStoppedLeading: () => (bLost = true) });
  await sleep(7000);
  assert.equal(bLeading, false, "the standby must not lead while the leader renews");
  const held = await readLease();
  assert.equal(held.spec?.holderIdentity, "replica-a");
  const transitionsBefore = held.spec?.leaseTransitions ?? 0;

  // 3. A crashes (no release): B takes over once the lease has run out, as it observed it.
  const killedAt = Date.now();
  a.proc.kill("SIGKILL");
  await waitFor("replica-b to take over the lease", async () => bLeading, { timeoutMs: 20_000, intervalMs: 100 });
  const waited = Date.now() - killedAt;
  const taken = await readLease();
  assert.equal(taken.spec?.holderIdentity, "replica-b");
  assert.equal(taken.spec?.leaseTransitions, transitionsBefore + 1);
  console.log(`takeover after a crash: ${waited} ms (lease duration 3000 ms)`);

  // 4. C starts with a long lease duration and stays standby while B leads.
  const c = candidateProcess("replica-c", 60_000);
  await sleep(2000);
  assert.equal((await readLease()).spec?.holderIdentity, "replica-b", "C waits while B leads");

  // 5. B stops gracefully: it releases the Lease, so C does not wait out B's lease.
  await b.stop();
  assert.equal(bLost, false, "a graceful stop is not a lost leadership");
  const released = await readLease();
  assert.ok(released.spec?.holderIdentity === "" || released.spec?.holderIdentity === "replica-c", `released, got holder ${released.spec?.holderIdentity}`);
  await c.leading;
  assert.equal((await readLease()).spec?.holderIdentity, "replica-c");
  c.proc.kill("SIGTERM");
  await new Promise((r) => c.proc.once("exit", r));
  assert.equal((await readLease()).spec?.holderIdentity, "", "SIGTERM released the lease");
});

test("two candidates starting together: exactly one wins", async () => {
  const name = `${LEASE}-race`;
  const electors = ["r1", "r2", "r3"].map(
    (identity) => new LeaderElector({ kubeConfig: kubeConfig(), namespace: ns.name, name, identity, leaseDurationMs: 5000, renewDeadlineMs: 3000, retryPeriodMs: 200 }),
  );
  const leading = new Set<string>();
  electors.forEach((e, i) => e.start({ onStartedLeading: () => leading.add(`r${i + 1}`), onStoppedLeading: () => undefined }));
  await waitFor("a leader", async () => leading.size > 0, { timeoutMs: 10_000 });
  await sleep(2500);
  assert.equal(leading.size, 1, `exactly one leader, got ${[...leading].join(", ")}`);
  const lease = await kubeConfig().makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ namespace: ns.name, name });
  assert.equal(lease.spec?.holderIdentity, [...leading][0]);
  await Promise.all(electors.map((e) => e.stop()));
});
