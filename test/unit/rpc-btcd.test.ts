// The btcd dialect against two real btcd v0.26.2 processes on loopback addresses (no cluster):
// TLS with the node's own certificate pinned (its names do not cover the address dialled),
// getaddednodeinfo/addnode/generate parsing, tolerated -8s, read/write counting, and errors that
// name method/node/code and never carry the password.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as util from "node:util";
import * as net from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { spawn, type ChildProcess } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import { toolPath } from "../../sandbox/toolchain/paths";
import { RpcClient, RpcError, type NodeTarget, type RpcCredentials } from "../../provider/rpc";
import { waitFor } from "../support/cluster";

const MINING_ADDR = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq3xueyj";
const USER = "regnet";
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-Zq9`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-rpc-btcd-"));
// Distinct loopback addresses per run, so parallel runs do not collide.
const base = 10 + Math.floor(Math.random() * 200);
const ips = [`127.77.${base}.1`, `127.77.${base}.2`];
const procs: ChildProcess[] = [];
const certs: string[] = [];

function startBtcd(i: number): ChildProcess {
  const d = path.join(dir, `n${i}`);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "btcd.conf"), "");
  const p = spawn(
    toolPath("btcd"),
    [
      "--regtest",
      `--datadir=${d}/data`,
      `--logdir=${d}/logs`,
      `-C`,
      `${d}/btcd.conf`,
      `--rpcuser=${USER}`,
      `--rpcpass=${PASSWORD}`,
      `--rpclisten=${ips[i]}:18334`,
      `--listen=${ips[i]}:18444`,
      `--rpccert=${d}/rpc.cert`,
      `--rpckey=${d}/rpc.key`,
      `--miningaddr=${MINING_ADDR}`,
      "--utxocachemaxsize=8",
      "--sigcachemaxsize=1000",
      "--nodnsseed",
      "--debuglevel=warn",
    ],
    { stdio: "ignore" },
  );
  procs.push(p);
  return p;
}

const kc = new k8s.KubeConfig(); // direct access never touches the API server
const target = (i: number, ip = ips[i]): NodeTarget => ({ namespace: "local", pod: `btcd-${i}`, ip, implementation: "btcd" });
const creds = (i: number, password = PASSWORD): RpcCredentials => ({ user: USER, password, tlsCert: certs[i] });

let client: RpcClient;

before(async () => {
  startBtcd(0);
  startBtcd(1);
  for (const i of [0, 1]) {
    const f = path.join(dir, `n${i}`, "rpc.cert");
    certs[i] = await waitFor(
      `btcd ${i} certificate`,
      async () => fs.existsSync(f) && fs.readFileSync(f, "utf8").includes("END CERTIFICATE") && fs.readFileSync(f, "utf8"),
      { timeoutMs: 20_000 },
    );
  }
  client = new RpcClient({ kubeConfig: kc, access: "direct", timeoutMs: 5000 });
  for (const i of [0, 1]) await waitFor(`btcd ${i} RPC`, () => client.node(target(i), creds(i)).tip(), { timeoutMs: 20_000 });
});

after(async () => {
  await client?.close();
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("tip and version parse btcd's replies", async () => {
  const n = client.node(target(0), creds(0));
  const tip = await n.tip();
  assert.equal(tip.chain, "regtest");
  assert.equal(tip.height, 0);
  assert.match(tip.bestBlockHash, /^[0-9a-f]{64}$/);
  assert.equal(await n.version(), "btcd 0.26.2");
});

test("addnode add/remove, getaddednodeinfo, generate; repeats tolerated; reads and writes counted", async () => {
  const a = client.node(target(0), creds(0));
  const b = client.node(target(1), creds(1));
  const peer = `${ips[1]}:18444`;
  assert.deepEqual(await a.addedPeers(), []);
  const w0 = client.counters.writes;
  await a.addPeer(peer);
  const added = await waitFor(
    "a connected to b",
    async () => {
      const p = await a.addedPeers();
      return p.length === 1 && p[0].connected && p;
    },
    { timeoutMs: 15_000 },
  );
  assert.deepEqual(added, [{ address: peer, connected: true }]);
  await a.addPeer(peer); // btcd: -8 "already connected" is success
  assert.equal(client.counters.writes, w0 + 2);

  const hashes = await a.mine(3, MINING_ADDR);
  const tipA = await a.tip();
  assert.equal(tipA.height, 3);
  assert.equal(hashes.length, 3);
  assert.equal(hashes[2], tipA.bestBlockHash, "mine returns the new blocks' hashes, the tip last");
  await waitFor("b synced from a", async () => (await b.tip()).bestBlockHash === tipA.bestBlockHash, { timeoutMs: 15_000 });
  assert.deepEqual(await a.peers(), [{ addr: peer, inbound: false }]);
  assert.equal((await b.peers()).filter((p) => p.inbound).length, 1);

  await a.removePeer(peer);
  await waitFor("a forgot b", async () => (await a.addedPeers()).length === 0, { timeoutMs: 10_000 });
  // btcd's remove also drops the connection (Core needs a separate disconnectnode).
  await waitFor("a and b disconnected", async () => (await a.peers()).length === 0 && (await b.peers()).length === 0, {
    timeoutMs: 10_000,
  });
  await a.removePeer(peer); // btcd: -8 "peer not found" is success

  // btcd v0.26.2 quirk, recorded here so it is noticed if it changes: `addnode remove` drops the
  // connection but not the connection manager's permanent request, which redials after ~5 s and
  // lists the peer as added again. No RPC cancels it: the engine makes a removal of a live peer
  // stick with forgetRemoved (`stop`, so the container restarts; engine-network.test.ts).
  const back = await waitFor(
    "btcd redials the removed peer",
    async () => {
      const p = await a.addedPeers();
      return p.length === 1 && p;
    },
    { timeoutMs: 20_000, intervalMs: 500 },
  );
  assert.deepEqual(back, [{ address: peer, connected: true }]);
});

test("snapshot reads added peers, peers, tip and version in one batched request", async () => {
  const a = client.node(target(0), creds(0));
  const before = client.counters.reads;
  const snap = await a.snapshot({ version: true });
  assert.equal(client.counters.reads - before, 4, "four reads counted");
  assert.equal(snap.tip.chain, "regtest");
  assert.equal(snap.version, "btcd 0.26.2");
  assert.deepEqual(snap.tip, await a.tip());
  assert.ok(Array.isArray(snap.added) && Array.isArray(snap.peers));
  assert.equal((await a.snapshot({ version: false })).version, undefined);
  // An entry's error comes back as that entry's RpcError, named by its own method.
  const [ok, bad] = await client.batch(target(0), creds(0), [
    { method: "getblockcount", params: [] },
    { method: "nosuchmethod", params: [] },
  ]);
  assert.equal(typeof ok, "number");
  assert.ok(bad instanceof RpcError && bad.method === "nosuchmethod" && bad.code === -32601);
});

test("an RPC error names method, node and code", async () => {
  await assert.rejects(
    client.call(target(0), creds(0), "nosuchmethod", []),
    (e: unknown) => e instanceof RpcError && e.method === "nosuchmethod" && e.node === "local/btcd-0" && e.code === -32601,
  );
});

test("a wrong password fails with HTTP_401 and no trace of either password", async () => {
  const wrong = `wrong-${PASSWORD}`;
  const err = await client.call(target(0), creds(0, wrong), "getinfo", []).catch((e: unknown) => e);
  assert.ok(err instanceof RpcError);
  assert.equal(err.code, "HTTP_401");
  const everything = `${err.message}\n${err.stack}\n${util.inspect(err, { depth: 10, showHidden: true })}\n${JSON.stringify(err)}`;
  for (const secret of [PASSWORD, wrong, Buffer.from(`${USER}:${wrong}`).toString("base64")]) assert.ok(!everything.includes(secret));
});

test("the certificate is pinned: another node's certificate is refused, without the password in the error", async () => {
  const err = await client.call(target(0), { user: USER, password: PASSWORD, tlsCert: certs[1] }, "getinfo", []).catch((e: unknown) => e);
  assert.ok(err instanceof RpcError, String(err));
  assert.match(err.message, /certificate/);
  assert.ok(!util.inspect(err, { depth: 10, showHidden: true }).includes(PASSWORD));
});

test("a refused connection is retried, then reported with its code", async () => {
  const quick = new RpcClient({ kubeConfig: kc, access: "direct", attempts: 3 });
  const started = Date.now();
  const err = await quick.call(target(0, `127.77.${base}.9`), creds(0), "getinfo", []).catch((e: unknown) => e);
  await quick.close();
  assert.ok(err instanceof RpcError);
  assert.equal(err.code, "ECONNREFUSED");
  assert.equal(quick.counters.reads, 3, "three attempts");
  assert.ok(Date.now() - started >= 200 + 400, "backed off between attempts");
});

test("auto access: a real node answering at its address is reached directly", async () => {
  const auto = new RpcClient({ kubeConfig: kc, access: "auto" });
  assert.equal((await auto.node(target(0), creds(0)).tip()).chain, "regtest");
  assert.equal(auto.accessMode, "direct");
  await auto.close();
});

test("auto access: something else answering at the address (a proxy's HTTP 426) means port-forward", async () => {
  // What a transparent proxy on the way does for an address it cannot route: accept, answer 426.
  const proxy = net.createServer((c) => c.once("data", () => c.end("HTTP/1.0 426 Upgrade Required\r\ncontent-length: 0\r\n\r\n")));
  const ip = `127.77.${base}.3`;
  await new Promise<void>((r) => proxy.listen(18334, ip, r));
  const auto = new RpcClient({ kubeConfig: kc, access: "auto", attempts: 1 });
  try {
    // Not TLS at all, so the pinned handshake fails: the direct path is not the node.
    const err = await auto.call(target(0, ip), creds(0), "getinfo", []).catch((e: unknown) => e);
    assert.equal(auto.accessMode, "port-forward");
    assert.ok(err instanceof RpcError && /via port-forward/.test(err.message), String(err));
  } finally {
    await auto.close();
    proxy.close();
  }
});

test("debug logs of calls, failures and retries carry no credential", async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const logged = new RpcClient({ kubeConfig: kc, access: "auto", attempts: 2, logger: pino({ level: "trace" }, sink) });
  await logged.node(target(0), creds(0)).snapshot({ version: true });
  await logged.call(target(0), creds(0, `bad-${PASSWORD}`), "getinfo", []).catch(() => undefined);
  await logged.call(target(0, `127.77.${base}.9`), creds(0), "getinfo", []).catch(() => undefined);
  await logged.close();
  const out = lines.join("");
  assert.ok(out.includes('"msg":"rpc"'), "calls were logged");
  for (const secret of [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64")]) assert.ok(!out.includes(secret));
});
