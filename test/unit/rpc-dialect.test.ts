// The dialect mappings as pure functions of a `call`: which methods and params each operation
// sends and which error codes it treats as success. The same operations run against real nodes in
// test/e2e/core-node.test.ts (Bitcoin Core: -23/-24/-29, getpeerinfo both directions) and
// rpc-btcd.test.ts (btcd).
import { test } from "node:test";
import assert from "node:assert/strict";
import { dialectFor, type Batch, type Call } from "../../provider/rpc/dialect";
import { RpcError } from "../../provider/rpc/errors";

/** A result, or the RpcError the node answers with. */
type Reply = unknown;

/** A call that records what was sent and answers from `replies` (method → reply, in order). */
function recorder(replies: Record<string, Reply[]>) {
  const sent: [string, unknown[]][] = [];
  const call: Call = async <T>(method: string, params: unknown[]) => {
    sent.push([method, params]);
    const r = replies[method]?.shift();
    if (r instanceof RpcError) throw r;
    return r as T;
  };
  // A batch is the same calls, answered entry by entry (errors returned, not thrown).
  const batch: Batch = async (calls) => {
    sent.push(["<batch>", calls.map((c) => c.method)]);
    return Promise.all(calls.map((c) => call(c.method, c.params).catch((e: unknown) => e)));
  };
  return { sent, call, batch };
}
const err = (method: string, code: number, msg = "x") => new RpcError(method, "ns/p-0", code, msg);

test("Bitcoin Core: ports, JSON-RPC 2.0, no TLS; writes are addnode/disconnectnode/generatetoaddress", () => {
  const d = dialectFor("bitcoin-core");
  assert.deepEqual([d.rpcPort, d.jsonrpc, d.tls], [18443, "2.0", false]);
  for (const m of ["addnode", "disconnectnode", "generatetoaddress"]) assert.equal(d.isWrite(m), true, m);
  for (const m of ["getaddednodeinfo", "getpeerinfo", "getblockchaininfo", "getnetworkinfo"]) assert.equal(d.isWrite(m), false, m);
});

test("Bitcoin Core: operations send the documented calls and tolerate -23/-24/-29", async () => {
  const { sent, call, batch } = recorder({
    getaddednodeinfo: [[{ addednode: "10.0.0.2:18444", connected: true, addresses: [] }]],
    addnode: [null, null, null, err("addnode", -23, "Node already added"), err("addnode", -24, "Node has not been added"), null],
    disconnectnode: [err("disconnectnode", -29, "Node not found in connected nodes"), null],
    generatetoaddress: [["h1"]],
    getblockchaininfo: [{ chain: "regtest", blocks: 101, bestblockhash: "ab".repeat(32), initialblockdownload: false }],
    getnetworkinfo: [{ subversion: "/Satoshi:30.2.0/" }],
    getpeerinfo: [[{ addr: "10.0.0.3:40000", inbound: true }]],
  });
  const ops = dialectFor("bitcoin-core").ops(call, batch);
  assert.deepEqual(await ops.addedPeers(), [{ address: "10.0.0.2:18444", connected: true }]);
  await ops.addPeer("10.0.0.2:18444"); // connect now (onetry), keep (add)
  await ops.addPeer("10.0.0.2:18444"); // -23 on the add
  await ops.removePeer("10.0.0.9:18444"); // -24, then -29
  await ops.removePeer("10.0.0.2:18444");
  assert.deepEqual(await ops.mine(101, "bcrt1qaddr"), ["h1"], "the mined blocks' hashes");
  assert.deepEqual(await ops.tip(), { chain: "regtest", height: 101, bestBlockHash: "ab".repeat(32), ibd: false });
  assert.equal(await ops.version(), "/Satoshi:30.2.0/");
  assert.deepEqual(await ops.peers(), [{ addr: "10.0.0.3:40000", inbound: true }]);
  assert.deepEqual(sent, [
    ["getaddednodeinfo", []],
    ["addnode", ["10.0.0.2:18444", "onetry"]],
    ["addnode", ["10.0.0.2:18444", "add"]],
    ["addnode", ["10.0.0.2:18444", "onetry"]],
    ["addnode", ["10.0.0.2:18444", "add"]],
    ["addnode", ["10.0.0.9:18444", "remove"]],
    ["disconnectnode", ["10.0.0.9:18444"]],
    ["addnode", ["10.0.0.2:18444", "remove"]],
    ["disconnectnode", ["10.0.0.2:18444"]],
    ["generatetoaddress", [101, "bcrt1qaddr"]],
    ["getblockchaininfo", []],
    ["getnetworkinfo", []],
    ["getpeerinfo", []],
  ]);
});

test("Bitcoin Core: other errors are not swallowed", async () => {
  const { call, batch } = recorder({ addnode: [err("addnode", -8, "bad")] });
  await assert.rejects(dialectFor("bitcoin-core").ops(call, batch).addPeer("x:1"), (e: unknown) => e instanceof RpcError && e.code === -8);
});

test("btcd: port 18334 over TLS; getaddednodeinfo needs dns=true; generate N; -8 'already'/'not found' tolerated", async () => {
  const d = dialectFor("btcd");
  assert.deepEqual([d.rpcPort, d.tls], [18334, true]);
  assert.equal(d.isWrite("generate"), true);
  assert.equal(d.isWrite("node"), true);
  const { sent, call, batch } = recorder({
    getaddednodeinfo: [null],
    addnode: [err("addnode", -8, "peer already connected"), err("addnode", -8, "peer not found"), err("addnode", -8, "something else")],
    generate: [["h"]],
    getinfo: [{ version: 260200 }],
  });
  const ops = d.ops(call, batch);
  assert.deepEqual(await ops.addedPeers(), [], "btcd answers null for no peers");
  await ops.addPeer("a:18444");
  await ops.removePeer("a:18444");
  await assert.rejects(ops.addPeer("a:18444"), /something else/);
  assert.deepEqual(await ops.mine(5, "ignored: btcd pays its --miningaddr"), ["h"]);
  assert.equal(await ops.version(), "btcd 0.26.2");
  assert.deepEqual(
    sent.map(([m, p]) => `${m} ${JSON.stringify(p)}`),
    [
      "getaddednodeinfo [true]",
      'addnode ["a:18444","add"]',
      'addnode ["a:18444","remove"]',
      'addnode ["a:18444","add"]',
      "generate [5]",
      "getinfo []",
    ],
  );
});

test("snapshot: one batch of the dialect's reads; an entry's error is thrown", async () => {
  const tip = { chain: "regtest", blocks: 7, bestblockhash: "cd".repeat(32) };
  const core = recorder({
    getaddednodeinfo: [[]],
    getpeerinfo: [[]],
    getblockchaininfo: [tip],
    getnetworkinfo: [{ subversion: "/Satoshi:30.2.0/" }],
  });
  assert.deepEqual(await dialectFor("bitcoin-core").ops(core.call, core.batch).snapshot({ version: true }), {
    added: [],
    peers: [],
    tip: { chain: "regtest", height: 7, bestBlockHash: "cd".repeat(32) },
    version: "/Satoshi:30.2.0/",
  });
  assert.deepEqual(core.sent[0], ["<batch>", ["getaddednodeinfo", "getpeerinfo", "getblockchaininfo", "getnetworkinfo"]]);

  const b = recorder({
    getaddednodeinfo: [[]],
    getpeerinfo: [null],
    getblockchaininfo: [err("getblockchaininfo", -28, "Loading block index")],
  });
  await assert.rejects(
    dialectFor("btcd").ops(b.call, b.batch).snapshot({ version: false }),
    (e: unknown) => e instanceof RpcError && e.code === -28,
  );
  assert.deepEqual(b.sent[0], ["<batch>", ["getaddednodeinfo", "getpeerinfo", "getblockchaininfo"]]);
  assert.deepEqual(b.sent[1], ["getaddednodeinfo", [true]]);
});

test("unstick: btcd drops a sync peer that is behind (persistent: addnode remove; other: node disconnect), then one-shot to the leader", async () => {
  const peers = (sync: object) => [
    [
      { addr: "10.0.0.5:18444", inbound: false, syncnode: false, currentheight: 101 },
      { inbound: false, syncnode: true, ...sync },
    ],
  ];
  const persistent = recorder({ getpeerinfo: peers({ addr: "10.0.0.7:18444", currentheight: 29 }), addnode: [null, null] });
  const did = await dialectFor("btcd").ops(persistent.call, persistent.batch).unstick("10.0.0.1:18444", 101, []);
  assert.match(did.detail, /dropped stalled sync peer 10\.0\.0\.7:18444 \(at 29\), one-shot connection to 10\.0\.0\.1:18444/);
  assert.equal(did.droppedAdded, "10.0.0.7:18444");
  assert.deepEqual(persistent.sent.slice(1), [
    ["addnode", ["10.0.0.7:18444", "remove"]],
    ["addnode", ["10.0.0.1:18444", "onetry"]],
  ]);

  const inbound = recorder({
    getpeerinfo: peers({ addr: "10.0.0.8:40001", inbound: true, startingheight: 3 }),
    addnode: [err("addnode", -8, "peer not found"), null],
    node: [null],
  });
  assert.equal((await dialectFor("btcd").ops(inbound.call, inbound.batch).unstick("10.0.0.1:18444", 101, [])).droppedAdded, undefined);
  assert.deepEqual(inbound.sent.slice(1), [
    ["addnode", ["10.0.0.8:40001", "remove"]],
    ["node", ["disconnect", "10.0.0.8:40001"]],
    ["addnode", ["10.0.0.1:18444", "onetry"]],
  ]);

  // A sync peer at the tip is left alone; the leader already being an added peer is fine.
  const healthy = recorder({
    getpeerinfo: peers({ addr: "10.0.0.9:18444", currentheight: 101 }),
    addnode: [err("addnode", -8, "peer exists as a permanent peer")],
  });
  assert.deepEqual(await dialectFor("btcd").ops(healthy.call, healthy.batch).unstick("10.0.0.1:18444", 101, []), {
    detail: "one-shot connection to 10.0.0.1:18444",
    droppedAdded: undefined,
  });

  // Core: the peers behind the tip are dropped (one already gone: -29), then one-shot to the leader.
  const core = recorder({ disconnectnode: [null, err("disconnectnode", -29, "Node not found in connected nodes")], addnode: [null] });
  const coreDid = await dialectFor("bitcoin-core")
    .ops(core.call, core.batch)
    .unstick("10.0.0.1:18444", 101, ["10.0.0.7:18444", "10.0.0.8:51234"]);
  assert.deepEqual(core.sent, [
    ["disconnectnode", ["10.0.0.7:18444"]],
    ["disconnectnode", ["10.0.0.8:51234"]],
    ["addnode", ["10.0.0.1:18444", "onetry"]],
  ]);
  assert.match(
    coreDid.detail,
    /dropped peers behind the tip 10\.0\.0\.7:18444, 10\.0\.0\.8:51234, one-shot connection to 10\.0\.0\.1:18444/,
  );
});

test("forgetRemoved: btcd stops (its container restarts without the pending redials); Core needs nothing", async () => {
  const btcd = recorder({ stop: ["btcd stopping."] });
  assert.match((await dialectFor("btcd").ops(btcd.call, btcd.batch).forgetRemoved()) ?? "", /restarts/);
  assert.deepEqual(btcd.sent, [["stop", []]]);
  assert.equal(dialectFor("btcd").isWrite("stop"), true);
  const core = recorder({});
  assert.equal(await dialectFor("bitcoin-core").ops(core.call, core.batch).forgetRemoved(), undefined);
  assert.deepEqual(core.sent, []);
});
