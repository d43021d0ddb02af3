// Leader election against the sandbox API server: one Lease, several candidates. A candidate in a
// child process is SIGKILLed to stand for a crashed replica (no release), so the survivor must wait
// out the lease; a graceful stop releases it, so the next one takes over without waiting.
// Nothing here sleeps: each step waits (bounded) for what the candidates log or write to the Lease.
// The timings leave a loaded machine room: a leader's read+write of the Lease gets RENEW_DEADLINE_MS
// (as client-go's defaults, 15/10/2 s, are for kube-controller-manager on the same API server).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import * as readline from "node:readline";
import * as k8s from "@kubernetes/client-node";
import pino from "pino";
import { LeaderElector, type LeaderCallbacks } from "../../provider/controller/leader";
import { kubeConfig, repoRoot, sandboxKubeconfig, tempNamespace, waitFor } from "../support/cluster";

const LEASE = "regnet-controller-test";
const LEASE_MS = 10_000;
const RENEW_DEADLINE_MS = 8_000;
const RETRY_MS = 400;
const timing = { leaseDurationMs: LEASE_MS, renewDeadlineMs: RENEW_DEADLINE_MS, retryPeriodMs: RETRY_MS };
/** What the elector logs (provider/controller/leader.ts) at each turn. */
const BECAME_LEADER = "became leader";
const HELD_BY_OTHER = "lease held by another replica";
const LOST = "lost leadership: could not renew the lease in time";

let ns: { name: string; cleanup: () => Promise<void> };
const children: ChildProcess[] = [];
/** Every in-process elector, stopped after the tests whatever happened (a running one keeps the process alive). */
const electors: LeaderElector[] = [];

before(async () => {
  ns = await tempNamespace("ctl-lease");
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(electors.map((e) => e.stop()));
  await ns.cleanup();
});

const leases = () => kubeConfig().makeApiClient(k8s.CoordinationV1Api);
const readLease = (name = LEASE) => leases().readNamespacedLease({ namespace: ns.name, name });
/** A Lease MicroTime as client-node returns it (a string, or a Date) → epoch ms. */
const timeMs = (t: Date | string | undefined) => new Date(t ?? NaN).getTime();

/** A candidate's log lines (JSON, debug level): what it decided and when, by its own clock. */
class Candidate {
  readonly lines: { msg: string; time: number }[] = [];
  constructor(readonly identity: string) {}
  record(line: string): void {
    try {
      const { msg, time } = JSON.parse(line) as { msg: string; time: number };
      this.lines.push({ msg, time });
    } catch {
      // not a log line
    }
  }
  has(msg: string): boolean {
    return this.lines.some((l) => l.msg === msg);
  }
  times(msg: string): number[] {
    return this.lines.filter((l) => l.msg === msg).map((l) => l.time);
  }
  /** Fails at once, naming the candidate, if it lost leadership: the rest of a test means nothing then. */
  assertNotLost(): void {
    assert.ok(!this.has(LOST), `${this.identity} lost leadership (could not renew within ${RENEW_DEADLINE_MS} ms)`);
  }
}

function inProcess(
  identity: string,
  {
    name = LEASE,
    kc = kubeConfig(),
    onStartedLeading = () => undefined,
    onStoppedLeading = () => undefined,
  }: Partial<{ name: string; kc: k8s.KubeConfig } & LeaderCallbacks> = {},
): { c: Candidate; elector: LeaderElector } {
  const c = new Candidate(identity);
  const logger = pino({ level: "debug" }, { write: (s: string) => c.record(s) });
  const elector = new LeaderElector({ kubeConfig: kc, namespace: ns.name, name, identity, ...timing, logger });
  elector.start({ onStartedLeading, onStoppedLeading });
  electors.push(elector);
  return { c, elector };
}

/** A candidate in its own process, logging to stdout; SIGTERM stops it gracefully (releases the Lease). */
function childProcess(identity: string): { c: Candidate; proc: ChildProcess } {
  const leaderJs = path.join(__dirname, "..", "..", "provider", "controller", "leader.js"); // this build's
  const script = `
    const k8s = require("@kubernetes/client-node");
    const pino = require("pino");
    const { LeaderElector } = require(${JSON.stringify(leaderJs)});
    const kc = new k8s.KubeConfig(); kc.loadFromFile(${JSON.stringify(process.env.KUBECONFIG ?? sandboxKubeconfig)});
    const e = new LeaderElector({ kubeConfig: kc, namespace: ${JSON.stringify(ns.name)}, name: ${JSON.stringify(LEASE)},
      identity: ${JSON.stringify(identity)}, ...${JSON.stringify(timing)}, logger: pino({ level: "debug" }) });
    e.start({ onStartedLeading: () => undefined, onStoppedLeading: () => undefined });
    process.on("SIGTERM", () => e.stop().then(() => process.exit(0)));`;
  const proc = spawn(process.execPath, ["-e", script], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
  children.push(proc);
  const c = new Candidate(identity);
  readline.createInterface({ input: proc.stdout }).on("line", (l) => c.record(l));
  return { c, proc };
}

test("one leader at a time; a crashed leader is replaced after its lease runs out; a stopped one hands over at once", async () => {
  // 1. A (another process) takes the Lease.
  const a = childProcess("replica-a");
  await waitFor("replica-a to lead", async () => a.c.has(BECAME_LEADER), { timeoutMs: 30_000 });
  assert.equal((await readLease()).spec?.holderIdentity, "replica-a");

  // 2. B (in this process) waits while A renews. B takes over a lease left unchanged for LEASE_MS
  //    as *it* sees it, so once B has seen the Lease held for longer than that, A's renewals are
  //    what kept it waiting.
  const b = inProcess("replica-b");
  await waitFor(
    `replica-b to see the Lease held for more than ${LEASE_MS} ms (or to take it)`,
    async () => {
      const held = b.c.times(HELD_BY_OTHER);
      return b.c.has(BECAME_LEADER) || (held.length > 0 && held[held.length - 1] - held[0] > LEASE_MS);
    },
    { timeoutMs: 6 * LEASE_MS },
  );
  a.c.assertNotLost();
  assert.equal(b.elector.isLeader(), false, "the standby must not lead while the leader renews");
  const held = await readLease();
  assert.equal(held.spec?.holderIdentity, "replica-a");
  const transitionsBefore = held.spec?.leaseTransitions ?? 0;

  // 3. A crashes (no release): B takes over once the lease has run out, as it observed it: at least
  //    LEASE_MS after A's last renewal (the Lease's own timestamps, one machine's clock).
  const killedAt = Date.now();
  a.proc.kill("SIGKILL");
  if (a.proc.exitCode === null && a.proc.signalCode === null) await new Promise((r) => a.proc.once("exit", r));
  const left = await readLease();
  assert.equal(left.spec?.holderIdentity, "replica-a", "a crashed leader leaves its Lease held");
  await waitFor("replica-b to take over the lease", async () => b.elector.isLeader(), { timeoutMs: 6 * LEASE_MS, intervalMs: 100 });
  console.log(`takeover after a crash: ${Date.now() - killedAt} ms (lease duration ${LEASE_MS} ms)`);
  const taken = await readLease();
  assert.equal(taken.spec?.holderIdentity, "replica-b");
  assert.equal(taken.spec?.leaseTransitions, transitionsBefore + 1);
  const gap = timeMs(taken.spec?.acquireTime) - timeMs(left.spec?.renewTime);
  assert.ok(
    gap >= LEASE_MS,
    `replica-b took the Lease ${gap} ms after replica-a's last renewal, before the lease (${LEASE_MS} ms) ran out`,
  );

  // 4. C (another process) starts and stays standby while B leads: it has read the Lease and waits.
  const c = childProcess("replica-c");
  await waitFor("replica-c to find the Lease held", async () => c.c.has(HELD_BY_OTHER) || c.c.has(BECAME_LEADER), { timeoutMs: 30_000 });
  assert.equal(c.c.has(BECAME_LEADER), false, "C waits while B leads");
  assert.equal((await readLease()).spec?.holderIdentity, "replica-b");

  // 5. B stops gracefully: it releases the Lease (empty holder), so C takes it on its next round
  //    instead of waiting out B's lease.
  await b.elector.stop();
  b.c.assertNotLost();
  const released = await readLease();
  assert.ok(
    released.spec?.holderIdentity === "" || released.spec?.holderIdentity === "replica-c",
    `released, got holder ${released.spec?.holderIdentity}`,
  );
  await waitFor("replica-c to lead", async () => c.c.has(BECAME_LEADER), { timeoutMs: 30_000 });
  assert.equal((await readLease()).spec?.holderIdentity, "replica-c");
  c.proc.kill("SIGTERM");
  await new Promise((r) => c.proc.once("exit", r));
  c.c.assertNotLost();
  assert.equal((await readLease()).spec?.holderIdentity, "", "SIGTERM released the lease");
});

test("candidates racing for a released Lease: exactly one wins", async () => {
  const name = `${LEASE}-race`;
  // A released Lease (as a stopped leader leaves it): every candidate reads it as free and writes,
  // so only the resourceVersion on the write keeps two from winning.
  await leases().createNamespacedLease({
    namespace: ns.name,
    body: { metadata: { name }, spec: { holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 0 } },
  });
  const candidates = ["r1", "r2", "r3"].map((identity) => inProcess(identity, { name }));
  // Every loser has read the winner's Lease and decided to wait (or a second one led).
  await waitFor(
    "one leader and the others waiting on it",
    async () => {
      const leading = candidates.filter((x) => x.c.has(BECAME_LEADER));
      return leading.length > 1 || (leading.length === 1 && candidates.every((x) => x.c.has(BECAME_LEADER) || x.c.has(HELD_BY_OTHER)));
    },
    { timeoutMs: 30_000 },
  );
  const leading = candidates.filter((x) => x.c.has(BECAME_LEADER)).map((x) => x.c.identity);
  assert.equal(leading.length, 1, `exactly one leader, got ${leading.join(", ")}`);
  const lease = await readLease(name);
  assert.equal(lease.spec?.holderIdentity, leading[0]);
  assert.equal(lease.spec?.leaseTransitions, 1, "one acquisition");
  await Promise.all(candidates.map((x) => x.elector.stop()));
  for (const x of candidates) x.c.assertNotLost();
});

/**
 * A TCP proxy to the API server that passes traffic, refuses connections (requests fail at once)
 * or accepts and never answers (requests hang): an API server a leader loses, as under heavy load.
 */
async function apiProxy(
  server: string,
): Promise<{ kc: k8s.KubeConfig; set: (mode: "pass" | "refuse" | "hang") => void; close: () => void }> {
  const target = new URL(server);
  let mode: "pass" | "refuse" | "hang" = "pass";
  const open = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s)).on("error", () => s.destroy());
  };
  const proxy = net.createServer((client) => {
    track(client);
    if (mode === "refuse") return client.destroy();
    if (mode === "hang") return;
    const upstream = net.connect(Number(target.port), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
  });
  const port = await new Promise<number>((resolve) =>
    proxy.listen(0, "127.0.0.1", () => resolve((proxy.address() as net.AddressInfo).port)),
  );
  const direct = kubeConfig();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: direct.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
    users: direct.users,
    contexts: direct.contexts,
    currentContext: direct.currentContext,
  });
  const dropAll = () => open.forEach((s) => s.destroy());
  return {
    kc,
    set: (m) => {
      mode = m;
      dropAll(); // connections kept alive would otherwise still pass
    },
    close: () => {
      dropAll();
      proxy.close();
    },
  };
}

test("a leader that loses the API server steps down by its renew deadline, before a standby may take over", async (t) => {
  const name = `${LEASE}-cut`;
  const proxy = await apiProxy(kubeConfig().getCurrentCluster()!.server);
  t.after(proxy.close);
  let aLostAt: number | undefined;
  const a = inProcess("cut-a", { name, kc: proxy.kc, onStoppedLeading: () => (aLostAt = Date.now()) });
  await waitFor("cut-a to lead", async () => a.c.has(BECAME_LEADER), { timeoutMs: 30_000 });
  let overlap: boolean | undefined;
  const b = inProcess("cut-b", { name, onStartedLeading: () => (overlap = a.elector.isLeader()) });
  await waitFor("cut-b to find the Lease held", async () => b.c.has(HELD_BY_OTHER), { timeoutMs: 30_000 });

  // A's rounds fail at once for half its renew deadline, then a round hangs: the round must end
  // by the deadline (last renewal + RENEW_DEADLINE_MS), not a whole deadline after it began.
  proxy.set("refuse");
  await waitFor(
    "cut-a's rounds to fail for half its renew deadline",
    async () => {
      const failed = a.c.times("lease acquire/renew failed");
      return failed.length > 0 && failed[failed.length - 1] - failed[0] >= RENEW_DEADLINE_MS / 2;
    },
    { timeoutMs: 30_000 },
  );
  proxy.set("hang");
  await waitFor("cut-b to take over", async () => b.elector.isLeader(), { timeoutMs: 6 * LEASE_MS, intervalMs: 100 });
  assert.ok(a.c.has(LOST), "cut-a stepped down");
  assert.equal(
    overlap,
    false,
    `cut-a still led when cut-b took over (cut-a stepped down ${aLostAt === undefined ? "never" : `${Date.now() - aLostAt} ms ago`})`,
  );
});
