// A user's own RPC Secret (spec.rpc.secretName) on real nodes run by the sandbox. Bitcoin Core with a
// Secret of only user and password comes up (regnet derived the -rpcauth line and the bitcoin-cli
// config into a Secret of its own), answers RPC with the user's password and refuses a wrong one, and
// the password is in neither the pod (`kubectl get pod -o yaml`), its logs, nor any process's argv or
// environment. btcd, given user/password and its TLS certificate and key, likewise comes up.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { createEngine, type Engine } from "../../provider/engine";
import { selfSignedCert } from "../../provider/engine/credentials";
import { RPC_PORTS } from "../../provider/spec/constants";
import { validateSpec } from "../../provider/spec";
import { processesMentioning } from "../../sandbox/cluster/procs";
import { toolPath } from "../../sandbox/toolchain/paths";
import { kubeConfig, kubeconfigPath, tempNamespace } from "../support/cluster";
import { missing } from "../support/prereqs";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
let ns: { name: string; cleanup: () => Promise<void> };
let engine: Engine;
// Unique per run, so the processes found below are this test's.
const user = `u${crypto.randomBytes(6).toString("hex")}`;
const password = `${crypto.randomBytes(18).toString("base64url")}!%&*`;

/** One JSON-RPC call with HTTP Basic credentials: the HTTP status and the result. */
async function call(ip: string, pass: string, method: string): Promise<{ status: number; result?: unknown }> {
  const res = await fetch(`http://${ip}:${RPC_PORTS["bitcoin-core"]}/`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = res.status === 200 ? ((await res.json()) as { result?: unknown }) : undefined;
  return { status: res.status, result: body?.result };
}

function kubectl(...args: string[]): string {
  const r = spawnSync(toolPath("kubectl"), ["--kubeconfig", kubeconfigPath, "-n", ns.name, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  ns = await tempNamespace("core-user-secret");
  engine = createEngine({ kubeConfig: kc, rpcAccess: "direct" });
});

after(async () => {
  await engine?.close();
  await ns?.cleanup();
});

test(
  "a Core network given a Secret of only user/password comes up and keeps the password out of pods and processes",
  { skip: missing("bitcoin-core") },
  async () => {
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: "my-rpc" }, stringData: { user, password } } });
    const r = validateSpec({ nodes: 1, implementation: "bitcoin-core", rpc: { secretName: "my-rpc" } });
    assert.ok(r.ok);
    const ref = { name: "usercore", namespace: ns.name };
    const status = await engine.converge(ref, r.spec, { timeoutSeconds: 300 });
    assert.equal(status.readyNodes, 1, "the node is Ready (its probe authenticates with the derived bitcoin-cli config)");
    assert.ok(status.height >= 101, `height ${status.height}: regnet mined over RPC with the user's credentials`);

    const ip = status.nodes[0].ip!;
    assert.deepEqual(await call(ip, password, "getblockcount"), { status: 200, result: status.height });
    assert.equal((await call(ip, `${password}x`, "getblockcount")).status, 401, "a wrong password is refused");

    assert.ok(!kubectl("get", "pod", status.nodes[0].pod, "-o", "yaml").includes(password), "no password in the pod");
    assert.ok(!kubectl("logs", status.nodes[0].pod, "-c", "node").includes(password), "no password in the node's log");
    const nodes = processesMentioning(`-rpcauth=${user}:`).filter((p) => p.cmd.includes("bitcoind"));
    assert.equal(nodes.length, 1, `one bitcoind runs with the derived -rpcauth: ${JSON.stringify(nodes)}`);
    assert.deepEqual(processesMentioning(password), [], "no process has the password in its argv");
    assert.ok(!fs.readFileSync(`/proc/${nodes[0].pid}/environ`, "latin1").includes(password), "nor bitcoind in its environment");

    await engine.destroy(ref, { wait: true, timeoutMs: 120_000 });
    const kept = await core.readNamespacedSecret({ name: "my-rpc", namespace: ns.name });
    assert.equal(Buffer.from(kept.data!.password, "base64").toString(), password, "the user's Secret stays, as it was");
  },
);

test("a btcd network given a Secret of user, password, tls.crt and tls.key comes up with them", async () => {
  const { cert, key } = selfSignedCert("userbtcd");
  await core.createNamespacedSecret({
    namespace: ns.name,
    body: { metadata: { name: "my-btcd-rpc" }, stringData: { user, password, "tls.crt": cert, "tls.key": key } },
  });
  const r = validateSpec({ nodes: 1, implementation: "btcd", rpc: { secretName: "my-btcd-rpc" } });
  assert.ok(r.ok);
  const ref = { name: "userbtcd", namespace: ns.name };
  // Ready (btcctl authenticates with the derived config) and mined over RPC with the user's credentials, pinning their certificate.
  const status = await engine.converge(ref, r.spec, { timeoutSeconds: 300 });
  assert.deepEqual([status.readyNodes, status.height >= 101], [1, true]);
  assert.ok(!kubectl("get", "pod", status.nodes[0].pod, "-o", "yaml").includes(password), "no password in the pod");
  assert.deepEqual(processesMentioning(password), [], "no process has the password in its argv");
  await engine.destroy(ref, { wait: true, timeoutMs: 120_000 });
});
