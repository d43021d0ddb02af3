// Bitcoin Core (the users' default implementation) end to end: networks of real bitcoind nodes
// (v29.99, run by the sandbox's node runner for `bitcoin/bitcoin:*` images) made through the engine,
// and each Core-specific claim of regnet checked on them with the real bitcoin-cli against the pod
// IPs as the independent witness: the -rpcauth line, the bitcoin-cli config in the Secret (readiness
// probe, kubectl exec), bootstrap and interval mining, getpeerinfo in both directions, the addnode /
// disconnectnode error codes the dialect tolerates, extraArgs, persistence across a pod deletion,
// and that the password is in no pod spec, argv or engine log. Networks of 1-2 nodes; timings printed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import * as k8s from "@kubernetes/client-node";
import { createEngine, type Engine, type NetworkRef, type NetworkStatus } from "../../provider/engine";
import { MINING_ADDRESS, RPC_MOUNT, SECRET_KEYS } from "../../provider/engine/desired";
import { P2P_PORT, RPC_PORTS } from "../../provider/spec/constants";
import { RpcClient, type ConnectedPeer } from "../../provider/rpc";
import { validateSpec, type BitcoinNetworkSpec, type BitcoinNetworkSpecInput } from "../../provider/spec";
import { kubectl } from "../../bench/harness";
import { CliError, bitcoinCli, bitcoinCliJson, coreNode, type CoreNode } from "../support/bitcoin-cli";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { missing } from "../support/prereqs";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const skip = missing("bitcoin-core");
/** The probe's own command line (cliCommand in desired/statefulset.ts), as a user would type it. */
const CLI_CONF = `-conf=${RPC_MOUNT}/${SECRET_KEYS.cliConf}`;
let ns: { name: string; cleanup: () => Promise<void> };
let engine: Engine;
/** Everything the engine logged, at every level: checked for the password. */
const engineLog: string[] = [];
let probe: RpcClient;

function spec(input: BitcoinNetworkSpecInput): BitcoinNetworkSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

/** converge, printing progress and how long the network took to be all Ready and to reach the initial height. */
async function convergeTimed(ref: NetworkRef, s: BitcoinNetworkSpec, timeoutMs: number): Promise<NetworkStatus> {
  const t = Date.now();
  const secs = () => `${((Date.now() - t) / 1000).toFixed(1)} s`;
  const marks: string[] = [];
  let last = "";
  const status = await engine.converge(ref, s, {
    timeoutSeconds: timeoutMs / 1000,
    onProgress: (st) => {
      const line = `ready ${st.readyNodes}, wired ${st.wired}, synced ${st.synced}, height ${st.height}, peers ${st.nodes.map((n) => `${n.peers}/${n.expectedPeers}`).join(" ")}`;
      if (line !== last) console.log(`# ${ref.name} +${secs()}: ${line}`);
      last = line;
      if (!marks.some((m) => m.startsWith("all Ready")) && st.readyNodes === s.nodes) marks.push(`all Ready ${secs()}`);
      if (!marks.some((m) => m.startsWith("height")) && st.height >= s.mining.initialBlocks)
        marks.push(`height ${s.mining.initialBlocks} ${secs()}`);
    },
  });
  console.log(`# timing: ${ref.name} (${s.nodes} Core node(s)): ${marks.join(", ")}, converged ${secs()}`);
  return status;
}

/** One JSON-RPC call over plain HTTP to a node's pod IP, with the given Basic credentials. */
function rpcPost(ip: string, user: string, password: string, method: string): Promise<{ status: number; realm: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: ip,
        port: RPC_PORTS["bitcoin-core"],
        method: "POST",
        auth: `${user}:${password}`,
        headers: { "content-type": "application/json" },
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.on("data", (b: Buffer) => (body += b.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, realm: String(res.headers["www-authenticate"] ?? ""), body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${ip} within 10 s`)));
    req.on("error", reject);
    req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }));
  });
}

const isReady = (p: k8s.V1Pod) => (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/**
 * Deletes `pod` as a user would (with its grace period: bitcoind gets SIGTERM and flushes its chain)
 * and waits for the replacement (a new UID), Ready if asked. Returns how long the old pod took to go.
 */
async function replacePod(pod: string, ready: boolean): Promise<number> {
  const uid = (await core.readNamespacedPod({ name: pod, namespace: ns.name })).metadata?.uid;
  const t0 = Date.now();
  await core.deleteNamespacedPod({ name: pod, namespace: ns.name });
  let goneMs: number | undefined;
  await waitFor(
    `${pod} replaced${ready ? " and Ready" : ""}`,
    async () => {
      const p = await core.readNamespacedPod({ name: pod, namespace: ns.name }).catch(() => undefined);
      if (p?.metadata?.uid !== uid) goneMs ??= Date.now() - t0;
      return !!p && p.metadata?.uid !== uid && !p.metadata?.deletionTimestamp && (!ready || isReady(p));
    },
    { timeoutMs: 120_000 },
  );
  return goneMs!;
}

/** A peer list as comparable text, order-free. */
const peerSet = (peers: ConnectedPeer[]) => peers.map((p) => `${p.addr} ${p.inbound ? "in" : "out"}`).sort();

before(async () => {
  ns = await tempNamespace("core-e2e");
  const sink = new Writable({ write: (chunk, _enc, done) => (engineLog.push(String(chunk)), done()) });
  engine = createEngine({ kubeConfig: kc, rpcAccess: "auto", logger: pino({ level: "trace" }, sink) });
  probe = new RpcClient({ kubeConfig: kc, access: "direct" });
});

after(async () => {
  await engine.close();
  await probe.close();
  await ns.cleanup();
});

test(
  "a 2-node Bitcoin Core network: rpcauth, cli.conf, interval mining, peers both ways, dialect error codes, extraArgs, no password anywhere",
  { skip },
  async (t) => {
    const ref = { name: "pair", namespace: ns.name };
    const s = spec({ nodes: 2, mining: { initialBlocks: 101, intervalSeconds: 2 }, extraArgs: ["-uacomment=regnet-test"] });
    const status = await convergeTimed(ref, s, 300_000);
    assert.ok(status.wired && status.synced && status.height >= 101, JSON.stringify(status.conditions));
    const nodes: CoreNode[] = await Promise.all(status.nodes.map((n) => coreNode(kc, ns.name, n.pod, status.rpcSecretName)));
    const [n0, n1] = nodes;

    await t.test("-rpcauth: the node accepts the Secret's password on its pod IP and answers a wrong one with HTTP 401", async () => {
      for (const n of nodes) {
        const ok = await rpcPost(n.ip, n.user, n.password, "getblockchaininfo");
        assert.equal(ok.status, 200, ok.body);
        assert.equal((JSON.parse(ok.body) as { result: { chain: string } }).result.chain, "regtest");
        for (const [user, password] of [
          [n.user, `${n.password}x`],
          ["someone", n.password],
        ]) {
          const bad = await rpcPost(n.ip, user, password, "getblockchaininfo");
          assert.equal(bad.status, 401, `${user} with a wrong password is refused`);
          assert.match(bad.realm, /jsonrpc/, "the refusal is Core's own");
        }
      }
    });

    await t.test("the Secret's cli.conf: the readiness probe runs bitcoin-cli with it; kubectl exec with it answers", async () => {
      const sts = await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ns.name });
      const node = sts.spec!.template.spec!.containers.find((c) => c.name === "node")!;
      assert.deepEqual(node.readinessProbe?.exec?.command, ["bitcoin-cli", CLI_CONF, "getblockcount"]);
      for (const n of status.nodes) {
        const out = await kubectl(["exec", n.pod, "-n", ns.name, "-c", "node", "--", "bitcoin-cli", CLI_CONF, "getblockcount"]);
        assert.ok(Number(out.trim()) >= 101, `${n.pod}: getblockcount through cli.conf said ${out.trim()}`);
      }
    });

    await t.test("the interval miner: the height keeps moving on every node", async () => {
      const start = Math.max(...(await Promise.all(nodes.map((n) => bitcoinCliJson<number>(n, ["getblockcount"])))));
      const t0 = Date.now();
      // intervalSeconds 2: three more blocks everywhere well within the bound.
      await waitFor(
        "3 blocks more on every node",
        async () => {
          const heights = await Promise.all(nodes.map((n) => bitcoinCliJson<number>(n, ["getblockcount"])));
          return heights.every((h) => h >= start + 3);
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      console.log(`# timing: 3 interval-mined blocks on both nodes: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    await t.test("getpeerinfo: the engine's view lists both directions with pod addresses, as bitcoin-cli does", async () => {
      const view = (i: number) =>
        probe
          .node({ namespace: ns.name, pod: status.nodes[i].pod, ip: nodes[i].ip, implementation: "bitcoin-core" }, nodes[i])
          .snapshot({ version: false });
      // Read both ways until one moment agrees (a peer can connect or drop between two reads).
      const [s0, s1] = await waitFor(
        "the engine's and bitcoin-cli's peer lists agree",
        async () => {
          const snaps = await Promise.all([view(0), view(1)]);
          const cli = await Promise.all(nodes.map((n) => bitcoinCliJson<ConnectedPeer[]>(n, ["getpeerinfo"])));
          return snaps.every((sn, i) => JSON.stringify(peerSet(sn.peers)) === JSON.stringify(peerSet(cli[i]))) ? snaps : undefined;
        },
        { timeoutMs: 30_000 },
      );
      // Node 0 dialled node 1 (the lower ordinal dials): outbound on 0, inbound on 1 from 0's pod IP.
      assert.ok(
        s0.peers.some((p) => p.addr === `${n1.ip}:${P2P_PORT}` && !p.inbound),
        JSON.stringify(s0.peers),
      );
      assert.ok(
        s1.peers.some((p) => p.inbound && p.addr.startsWith(`${n0.ip}:`) && p.addr !== `${n0.ip}:${P2P_PORT}`),
        JSON.stringify(s1.peers),
      );
      const manual = (await bitcoinCliJson<{ addr: string; connection_type: string }[]>(n0, ["getpeerinfo"])).find(
        (p) => p.addr === `${n1.ip}:${P2P_PORT}`,
      );
      assert.equal(manual?.connection_type, "manual", "an addnode connection");
      // getaddednodeinfo: the engine's parse and bitcoin-cli agree on what node 0 was told to dial.
      const cliAdded = await bitcoinCliJson<{ addednode: string; connected: boolean }[]>(n0, ["getaddednodeinfo"]);
      assert.deepEqual(
        s0.added,
        cliAdded.map((a) => ({ address: a.addednode, connected: a.connected })),
      );
      assert.deepEqual(s0.added, [{ address: `${n1.ip}:${P2P_PORT}`, connected: true }]);
    });

    await t.test("addnode / disconnectnode: -23, -24, -29 on a real node, and the dialect takes each as done", async () => {
      const peer = `${n1.ip}:${P2P_PORT}`;
      const stranger = `203.0.113.1:${P2P_PORT}`; // TEST-NET-3: never added, never connected
      const code = (c: number) => (e: unknown) => e instanceof CliError && e.rpcCode === c;
      await assert.rejects(bitcoinCli(n0, ["addnode", peer, "add"]), code(-23), "already added");
      await assert.rejects(bitcoinCli(n0, ["addnode", stranger, "remove"]), code(-24), "not added");
      await assert.rejects(bitcoinCli(n0, ["disconnectnode", stranger]), code(-29), "not connected");
      const ops = probe.node({ namespace: ns.name, pod: status.nodes[0].pod, ip: n0.ip, implementation: "bitcoin-core" }, n0);
      await ops.addPeer(peer);
      await ops.removePeer(stranger);
      assert.deepEqual(await ops.addedPeers(), [{ address: peer, connected: true }], "nothing changed on the node");
    });

    await t.test("extraArgs reach the node; a chain other than regtest in extraArgs is refused", async () => {
      for (const [i, n] of nodes.entries()) {
        const { subversion } = await bitcoinCliJson<{ subversion: string }>(n, ["getnetworkinfo"]);
        assert.match(subversion, /^\/Satoshi:[\d.]+\(regnet-test\)\/$/);
        assert.equal(status.nodes[i].version, subversion, "the engine reports the node's own user agent");
      }
      for (const flag of ["-testnet", "-testnet4", "-signet", "-chain=main", "--chain=test", "-regtest=0"]) {
        const r = validateSpec({ nodes: 1, extraArgs: [flag] });
        assert.ok(!r.ok && r.issues.some((i) => i.field === "extraArgs" && /regtest/.test(i.message)), `${flag}: ${JSON.stringify(r)}`);
      }
    });

    await t.test("the password is in no pod spec, no process's argv and no engine log line", async () => {
      const pw = n0.password;
      const forms = [pw, Buffer.from(pw).toString("base64"), Buffer.from(`${n0.user}:${pw}`).toString("base64")];
      const clean = (what: string, text: string) => forms.forEach((f) => assert.ok(!text.includes(f), `${what} holds the password`));
      const pods = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `regnet.dev/network=${ref.name}` })).items;
      assert.equal(pods.length, 2);
      clean("a pod", JSON.stringify(pods));
      clean("the StatefulSet", JSON.stringify(await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ns.name })));
      // Pods are host processes here: their argv is on the host's process list.
      const argv = execFileSync("ps", ["-eo", "args"], { encoding: "utf8", maxBuffer: 16 << 20 });
      const rpcauth = Buffer.from(
        (await core.readNamespacedSecret({ name: status.rpcSecretName, namespace: ns.name })).data![SECRET_KEYS.rpcauth],
        "base64",
      ).toString();
      assert.equal(
        argv.split("\n").filter((l) => l.includes(`-rpcauth=${rpcauth}`)).length,
        2,
        "both bitcoind processes are in the list, with the salted hash",
      );
      clean("a process's argv", argv);
      for (const p of pods)
        clean(`${p.metadata!.name}'s node log`, await kubectl(["logs", p.metadata!.name!, "-n", ns.name, "-c", "node"]));
      const log = engineLog.join("");
      assert.match(log, /"msg":"rpc"/, "the engine logged its RPC calls");
      clean("the engine's log", log);
    });

    await engine.destroy(ref, { wait: true, timeoutMs: 60_000 });
  },
);

test(
  "a 1-node Bitcoin Core network on a volume: bootstrap mines exactly initialBlocks, the chain survives the pod, Ready needs cli.conf",
  { skip },
  async (t) => {
    const ref = { name: "disk", namespace: ns.name };
    const s = spec({ nodes: 1, persistence: { size: "1Gi" } });
    const status = await convergeTimed(ref, s, 300_000);
    const pod = status.nodes[0].pod;
    let n = await coreNode(kc, ns.name, pod, status.rpcSecretName);

    await t.test("bootstrap: generatetoaddress mined mining.initialBlocks to regnet's address", async () => {
      assert.equal(status.height, 101);
      assert.equal(await bitcoinCliJson<number>(n, ["getblockcount"]), 101);
      const tip = await bitcoinCli(n, ["getbestblockhash"]);
      assert.equal(tip, status.nodes[0].bestBlockHash);
      const block = await bitcoinCliJson<{ tx: { vout: { scriptPubKey: { address?: string } }[] }[] }>(n, ["getblock", tip, "2"]);
      assert.equal(block.tx[0].vout[0].scriptPubKey.address, MINING_ADDRESS);
    });

    await t.test("persistence: a deleted pod's replacement has the same height and best block", async () => {
      const claims = (
        await core.listNamespacedPersistentVolumeClaim({ namespace: ns.name, labelSelector: `regnet.dev/network=${ref.name}` })
      ).items;
      assert.deepEqual(
        claims.map((c) => [c.metadata?.name, c.status?.phase]),
        [[`data-${pod}`, "Bound"]],
      );
      const tip = await bitcoinCli(n, ["getbestblockhash"]);
      const grace = (await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ns.name })).spec!.template.spec!
        .terminationGracePeriodSeconds!;
      // Deleted right after it converged, as a user may: bitcoind must stop on SIGTERM (it flushes its
      // chain then) before the grace period ends, after which it is SIGKILLed with the chain unflushed.
      const t0 = Date.now();
      const goneMs = await replacePod(pod, true);
      n = await coreNode(kc, ns.name, pod, status.rpcSecretName);
      console.log(
        `# timing: ${pod} deleted → gone ${(goneMs / 1000).toFixed(1)} s, replacement Ready ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      assert.ok(
        goneMs < grace * 1000,
        `the old pod took ${(goneMs / 1000).toFixed(1)} s to go: bitcoind did not stop within its ${grace} s grace period and was killed`,
      );
      assert.equal(await bitcoinCliJson<number>(n, ["getblockcount"]), 101);
      assert.equal(await bitcoinCli(n, ["getbestblockhash"]), tip);
    });

    await t.test("readiness goes through cli.conf: with a wrong password in it the node runs but its pod is never Ready", async () => {
      const secretName = status.rpcSecretName;
      const original = (await core.readNamespacedSecret({ name: secretName, namespace: ns.name })).data![SECRET_KEYS.cliConf];
      const patchConf = (b64: string) =>
        core.patchNamespacedSecret(
          { name: secretName, namespace: ns.name, body: { data: { [SECRET_KEYS.cliConf]: b64 } } },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
      const wrong = Buffer.from(
        Buffer.from(original, "base64")
          .toString()
          .replace(/^rpcpassword=.*$/m, "rpcpassword=wrong"),
      ).toString("base64");
      await patchConf(wrong);
      try {
        await replacePod(pod, false);
        // The node is up: it answers the Secret's password (its -rpcauth did not change)...
        const uid = await waitFor(
          "the node answers RPC",
          async () => {
            const p = await core.readNamespacedPod({ name: pod, namespace: ns.name });
            n = await coreNode(kc, ns.name, pod, secretName);
            await bitcoinCliJson<number>(n, ["getblockcount"]);
            return p.metadata?.uid;
          },
          { timeoutMs: 60_000 },
        );
        // ...and the probe's own command, in the container, is refused.
        const refused = await kubectl(["exec", pod, "-n", ns.name, "-c", "node", "--", "bitcoin-cli", CLI_CONF, "getblockcount"]).catch(
          (e: Error) => e.message,
        );
        assert.match(refused, /Incorrect rpcuser or rpcpassword/);
        // Positive control: the probe has run against the running node and been refused — bitcoind
        // logs each refused login; one is the exec above, the others can only be the probe (the
        // engine signs in with -rpcauth). A probe that could pass would have made the pod Ready first.
        const refusedLogins = async () =>
          ((await kubectl(["logs", pod, "-n", ns.name, "-c", "node"])).match(/incorrect password attempt/g) ?? []).length;
        const outcome = await waitFor(
          "the node to refuse the readiness probe twice (or the pod to become Ready)",
          async () => {
            if (isReady(await core.readNamespacedPod({ name: pod, namespace: ns.name }))) return "Ready";
            return (await refusedLogins()) >= 3 ? "refused" : undefined;
          },
          { timeoutMs: 120_000 },
        );
        assert.equal(outcome, "refused", "the pod became Ready with a wrong cli.conf");
        const now = await core.readNamespacedPod({ name: pod, namespace: ns.name });
        assert.equal(now.metadata?.uid, uid, "the same pod throughout");
        assert.ok(!isReady(now), "the pod became Ready with a wrong cli.conf");
      } finally {
        await patchConf(original);
      }
      await replacePod(pod, true);
    });

    await engine.destroy(ref, { wait: true, timeoutMs: 60_000 });
    // The claim goes with the network (persistentVolumeClaimRetentionPolicy: Delete).
    await waitFor(
      "the network's volume claim deleted",
      async () =>
        (await core.listNamespacedPersistentVolumeClaim({ namespace: ns.name, labelSelector: `regnet.dev/network=${ref.name}` })).items
          .length === 0,
    );
  },
);
