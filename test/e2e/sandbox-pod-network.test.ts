// The node runner's pod networks (sandbox/runner/netns.ts), made for real on a bridge of this test's
// own: N at once, each a working pod network (its address on eth0, lo up, a default route via the
// bridge, reachable from the host and from another pod), each made by ONE process forked from the
// runner and removed by one, leaving no namespace or interface. A fork of the runner's Node process
// blocks its only thread for 5-15 ms (more under load): made with 8 `ip` processes and 3 more to
// clear leftovers, 100 pod networks took 28.6 s at load 21; in one process each, 2.5 s.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as netm from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { currentInstance } from "../../sandbox/cluster/instance";
import { bridgeExists, createBridge, deleteBridge, deleteNetns, listNetns } from "../../sandbox/cluster/net";
import { createPodNetwork, deletePodNetwork, netnsName, netnsPids, type PodNetwork } from "../../sandbox/runner/netns";

const N = 12;
// One per sandbox slot (claimed machine-wide), apart from the sandboxes' (10.244+) and the bench floor's (10.230+).
const slot = Math.max(0, currentInstance().slot);
const net: PodNetwork = { bridge: `rnt${slot}`, gateway: `10.${220 + slot}.0.1`, prefixLen: 16, netnsPrefix: `rnt${slot}-` };
const uids = Array.from({ length: N }, (_, i) => `${(0x5e000000 + i).toString(16)}-0000-4000-8000-000000000000`);
const ipOf = (i: number) => `10.${220 + slot}.0.${i + 2}`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-podnet-"));
const forkLog = path.join(dir, "forks.log");

function clear(): void {
  for (const ns of listNetns(net)) deleteNetns(ns);
  deleteBridge(net);
}

/**
 * Counts the processes this test process forks while `fn` runs, whatever programs the runner's
 * network code runs (`ip`, `sh`): shims first on PATH log their parent's pid and exec the real one.
 */
async function forksDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const shims = path.join(dir, "shims");
  fs.mkdirSync(shims, { recursive: true });
  for (const program of ["ip", "sh"]) {
    const real = execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(shims, program), `#!/bin/sh\necho "$PPID ${program} $*" >> ${forkLog}\nexec ${real} "$@"\n`, {
      mode: 0o755,
    });
  }
  fs.rmSync(forkLog, { force: true });
  const saved = process.env.PATH;
  process.env.PATH = `${shims}:${saved}`;
  try {
    await fn();
  } finally {
    process.env.PATH = saved;
  }
  const lines = fs.existsSync(forkLog) ? fs.readFileSync(forkLog, "utf8").trim().split("\n") : [];
  return lines.filter((l) => l.split(" ")[0] === String(process.pid));
}

/** Runs `code` with this Node inside namespace `ns`; resolves with its stdout. */
function nodeIn(ns: string, code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

const fetchFrom = (host: string) =>
  `require("net").connect(7777, "${host}").on("data", (d) => { process.stdout.write(String(d)); process.exit(0); }).on("error", (e) => { console.error(e.message); process.exit(1); })`;

before(() => {
  clear();
  createBridge(net);
});

after(() => {
  clear();
  fs.rmSync(dir, { recursive: true, force: true });
});

test(`${N} pod networks made at once: each works, each made by one process forked from the runner`, async () => {
  const made = await forksDuring(() => Promise.all(uids.map((uid, i) => createPodNetwork(uid, ipOf(i), net))));
  assert.equal(made.length, N, `forks of the runner to make ${N} pod networks:\n${made.join("\n")}`);

  for (const [i, uid] of uids.entries()) {
    const ns = netnsName(uid, net);
    const addrs = execFileSync("ip", ["-n", ns, "-br", "addr"], { encoding: "utf8" });
    assert.match(addrs, new RegExp(`^eth0@\\S+\\s+UP\\s+${ipOf(i).replace(/\./g, "\\.")}/16`, "m"), `${ns}: ${addrs}`);
    assert.match(addrs, /^lo\s+UNKNOWN\s+127\.0\.0\.1\/8/m, `${ns}: lo up`);
    assert.match(
      execFileSync("ip", ["-n", ns, "route"], { encoding: "utf8" }),
      new RegExp(`^default via ${net.gateway.replace(/\./g, "\\.")} dev eth0`, "m"),
    );
  }

  // A process in pod 0 serves; the host and pod N-1 reach it at its address, over the bridge.
  const server = spawn(
    "ip",
    ["netns", "exec", netnsName(uids[0], net), process.execPath, "-e", `require("net").createServer((s) => s.end("pod 0")).listen(7777)`],
    { stdio: "ignore" },
  );
  try {
    // Until the server listens (it starts in the background), then once more for the answer.
    let fromPod = "";
    for (let i = 0; i < 100 && fromPod !== "pod 0"; i++) {
      fromPod = await nodeIn(netnsName(uids[N - 1], net), fetchFrom(ipOf(0))).catch(() => "");
      if (fromPod !== "pod 0") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(fromPod, "pod 0", "pod N-1 reaches pod 0");
    const fromHost = await new Promise<string>((resolve, reject) => {
      netm
        .connect(7777, ipOf(0))
        .on("data", (d: Buffer) => resolve(String(d)))
        .on("error", reject);
    });
    assert.equal(fromHost, "pod 0", "the host reaches pod 0");
    assert.ok((await netnsPids(netnsName(uids[0], net))).includes(server.pid!), "netnsPids finds the process in the namespace");
  } finally {
    server.kill("SIGKILL");
  }

  const removed = await forksDuring(() => Promise.all(uids.map((uid, i) => deletePodNetwork(uid, ipOf(i), net))));
  assert.ok(removed.length <= N, `forks of the runner to remove ${N} pod networks:\n${removed.join("\n")}`);
  assert.deepEqual(listNetns(net), [], "no namespace left");
  const links = execFileSync("ip", ["-br", "link"], { encoding: "utf8" });
  assert.doesNotMatch(links, new RegExp(`^rv${net.bridge.replace(/^regnet/, "")}`, "m"), "no veth left");
  assert.ok(bridgeExists(net));

  // With nothing left to remove, removing forks nothing (as before each create).
  assert.deepEqual(await forksDuring(() => deletePodNetwork(uids[0], ipOf(0), net)), []);
});
