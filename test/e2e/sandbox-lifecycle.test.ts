// The sandbox's life cycle on a second, independent instance (its own state dir, bridge, subnet,
// namespaces and ports), so the sandbox the suite runs on is never touched: up → a Ready node through
// kubectl → up again is a no-op → a btcd pod runs as a real process → down leaves no process (control
// plane or btcd), namespace, bridge or listener → up again, and its ports stay its own while its API
// server is down.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { currentInstance, networkForSlot, unheldSlots, withSlotsLock } from "../../sandbox/cluster/instance";
import { componentPids, componentPorts, clusterDir, kwokctl } from "../../sandbox/cluster/kwok";
import { bridgeExists, createBridge, deleteBridge, listNetns, netnsPids } from "../../sandbox/cluster/net";
import { clearUnheldSlots } from "../../sandbox/cluster/cluster";
import { alive, listeners, processIds, processName, processesMentioning } from "../../sandbox/cluster/procs";
import { repoRoot, toolPath } from "../../sandbox/toolchain/paths";
import { waitFor } from "../support/cluster";
import { setTimeout as sleep } from "node:timers/promises";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-lifecycle-"));
// The caller's kubeconfig (a copy of the suite sandbox's, with the same `kwok-regnet` names):
// bringing this second sandbox up and down must not edit it.
const callerKubeconfig = path.join(dir, "caller.kubeconfig");
fs.copyFileSync(currentInstance(process.env).kubeconfig, callerKubeconfig);
const callerBefore = fs.readFileSync(callerKubeconfig, "utf8");
const env = {
  ...process.env,
  REGNET_SANDBOX: `lifecycle-${process.pid}`,
  REGNET_SANDBOX_DIR: path.join(dir, "state"),
  KUBECONFIG: callerKubeconfig,
};
// A third sandbox, brought up while this one's API server is down.
const otherEnv = { ...env, REGNET_SANDBOX: `lifecycle-other-${process.pid}`, REGNET_SANDBOX_DIR: path.join(dir, "other") };
const cli = path.join(repoRoot, "dist", "sandbox", "cli.js");

function sandbox(cmd: string, withEnv = env): { code: number; out: string } {
  const r = spawnSync(process.execPath, [cli, cmd], { env: withEnv, encoding: "utf8", timeout: 240_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const instance = () => currentInstance(env);

// Once `down` gives the slot back, another sandbox on this machine (a second clone's CI, say) may
// claim it at once and make a bridge of the same name, namespaces with the same prefix, and bind the
// same probed ports. So what `down` must have removed is named by identity, not by name: the bridge by
// its kernel index, the namespaces by their names (a pod UID in each), the listeners by their pids.
const ifindex = (dev: string) => {
  try {
    return fs.readFileSync(`/sys/class/net/${dev}/ifindex`, "utf8").trim();
  } catch {
    return undefined;
  }
};
/** Control-plane pids of the sandbox the rest of the suite runs on: this test must leave them as they were. */
const suitePids = () => JSON.stringify(componentPids(currentInstance(process.env)));
let suiteBefore = "";

before(() => {
  suiteBefore = suitePids();
});

after(() => {
  if (fs.existsSync(path.join(dir, "other", "instance.json"))) sandbox("down", otherEnv);
  if (fs.existsSync(path.join(dir, "state", "instance.json"))) sandbox("down");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a second sandbox comes up with its own network, a Ready node and an API server reachable on its bridge", () => {
  const r = sandbox("up");
  assert.equal(r.code, 0, `sandbox up failed:\n${r.out}`);
  const inst = instance();
  assert.ok(inst.slot > 0, `a named sandbox gets a slot of its own, got ${inst.slot}`);
  assert.notEqual(inst.bridge, "regnet0");
  assert.ok(bridgeExists(inst), `bridge ${inst.bridge} exists`);
  assert.match(
    execFileSync("ip", ["-4", "addr", "show", "dev", inst.bridge], { encoding: "utf8" }),
    new RegExp(`inet ${inst.gateway.replace(/\./g, "\\.")}/16`),
  );

  const nodes = execFileSync(toolPath("kubectl"), ["--kubeconfig", inst.kubeconfig, "get", "nodes", "--no-headers"], { encoding: "utf8" });
  assert.match(nodes, /\sReady\s/, `kubectl get nodes: ${nodes}`);

  // Pods reach the API server at the bridge address, and its certificate must name that address.
  const port = componentPorts(inst)["kube-apiserver"];
  const readyz = execFileSync(
    toolPath("kubectl"),
    ["--kubeconfig", inst.kubeconfig, "--server", `https://${inst.gateway}:${port}`, "get", "--raw", "/readyz"],
    { encoding: "utf8" },
  );
  assert.equal(readyz.trim(), "ok");

  // RBAC is on: an unprivileged service account may not list nodes.
  const canI = spawnSync(
    toolPath("kubectl"),
    ["--kubeconfig", inst.kubeconfig, "auth", "can-i", "list", "nodes", "--as", "system:serviceaccount:default:default"],
    { encoding: "utf8" },
  );
  assert.equal(canI.stdout.trim(), "no");
});

test("up when up is a no-op: same processes", () => {
  const inst = instance();
  const before = JSON.stringify(componentPids(inst));
  const r = sandbox("up");
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /already up/);
  assert.equal(JSON.stringify(componentPids(inst)), before);
  const st = sandbox("status");
  assert.match(st.out, /: UP /);
  assert.match(st.out, /node \S+: Ready/);
});

/** btcd processes of the pod below: `down` must stop them. */
let btcdPids: number[] = [];

test("a btcd pod runs as a real process in a namespace of this sandbox, with an address from its subnet", async () => {
  const inst = instance();
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "btcd-0", namespace: "default" },
    spec: {
      containers: [
        {
          name: "btcd",
          image: "btcsuite/btcd:v0.26.2",
          args: ["--regtest", "--datadir=/data", "--logdir=/data", "-C", "/dev/null", "--rpcuser=u", "--rpcpass=p"],
          volumeMounts: [{ name: "data", mountPath: "/data" }],
        },
      ],
      volumes: [{ name: "data", emptyDir: {} }],
    },
  };
  execFileSync(toolPath("kubectl"), ["--kubeconfig", inst.kubeconfig, "apply", "-f", "-"], { input: JSON.stringify(pod) });
  const subnet = inst.gateway.split(".").slice(0, 2).join(".") + ".";
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ip = execFileSync(
      toolPath("kubectl"),
      ["--kubeconfig", inst.kubeconfig, "get", "pod", "btcd-0", "-o", "jsonpath={.status.podIP}"],
      { encoding: "utf8" },
    );
    btcdPids = listNetns(inst)
      .flatMap(netnsPids)
      .filter((pid) => processName(pid) === "btcd");
    if (ip && btcdPids.length) {
      assert.ok(ip.startsWith(subnet), `pod IP ${ip} is in ${subnet}0.0/16`);
      break;
    }
    assert.ok(Date.now() < deadline, `btcd pod did not start within 60 s (podIP "${ip}", btcd pids ${btcdPids.length})`);
    await sleep(500);
  }
});

test("up's sweep removes a slot nobody holds (namespaces, what runs in them, bridge) and leaves a held one's", async () => {
  const inst = instance();
  const live = listNetns(inst);
  assert.ok(live.length > 0, "this sandbox's btcd pod has a namespace");
  // Under the slot lock, as `up` sweeps: no other sandbox can claim the slot meanwhile.
  await withSlotsLock(
    () => undefined,
    async () => {
      const free = unheldSlots().at(-1);
      assert.ok(free !== undefined && free !== inst.slot, "a slot nobody holds");
      const dead = networkForSlot(free);
      const ns = `${dead.netnsPrefix}stale${process.pid}`;
      execFileSync("ip", ["netns", "add", ns]);
      createBridge(dead);
      const sleeper = spawn("ip", ["netns", "exec", ns, "sleep", "300"], { stdio: "ignore" });
      try {
        await waitFor(`a process in ${ns}`, async () => netnsPids(ns).includes(sleeper.pid!), { timeoutMs: 10_000, intervalMs: 50 });
        const said: string[] = [];
        await clearUnheldSlots((line) => said.push(line));
        assert.deepEqual(listNetns(dead), [], `slot ${free}'s namespaces are gone`);
        assert.equal(bridgeExists(dead), false, `bridge ${dead.bridge} is gone`);
        assert.equal(alive(sleeper.pid), false, "what ran in the namespace is stopped");
        assert.match(
          said.join("\n"),
          new RegExp(`slot ${free} is held by no sandbox; removing 1 network namespace\\(s\\) and bridge ${dead.bridge}`),
        );
      } finally {
        // Whatever the sweep left when it failed.
        sleeper.kill("SIGKILL");
        spawnSync("ip", ["netns", "del", ns]);
        deleteBridge(dead);
      }
    },
  );
  assert.deepEqual(listNetns(inst), live, "the held slot's namespaces are untouched");
  assert.ok(bridgeExists(inst), `the held slot's bridge ${inst.bridge} is untouched`);
});

test("down leaves no process, network namespace, bridge or listener, and the suite's sandbox untouched", () => {
  const inst = instance();
  const pids = Object.values(componentPids(inst)).filter((p): p is number => p !== undefined);
  assert.equal(pids.length, 5, "five control-plane processes were running");
  const ports = Object.values(componentPorts(inst));
  assert.equal(ports.length, 6, "the six component ports are known");

  const st = sandbox("status");
  assert.equal(st.code, 0, `status exits 0 while the sandbox is up:\n${st.out}`);
  const bridgeIndex = ifindex(inst.bridge);
  assert.ok(bridgeIndex, `bridge ${inst.bridge} exists before down`);
  const namespaces = listNetns(inst);
  assert.ok(namespaces.length > 0, "the btcd pod's network namespace exists before down");
  const before = new Set(processIds());
  const r = sandbox("down");
  assert.equal(r.code, 0, `sandbox down failed:\n${r.out}`);
  const after = sandbox("status");
  assert.equal(after.code, 3, `status exits 3 once the sandbox is down:\n${after.out}`);
  assert.deepEqual(pids.filter(alive), [], "no control-plane process is alive");
  assert.ok(btcdPids.length > 0, "the btcd pod was running");
  assert.deepEqual(btcdPids.filter(alive), [], "no btcd process is alive");
  assert.deepEqual(processesMentioning(`${clusterDir(inst)}/`), [], "no process names the cluster's workdir");
  assert.notEqual(ifindex(inst.bridge), bridgeIndex, `bridge ${inst.bridge} (index ${bridgeIndex}) is gone`);
  const left = new Set(listNetns(inst));
  assert.deepEqual(
    namespaces.filter((n) => left.has(n)),
    [],
    "no network namespace of this sandbox is left",
  );
  assert.deepEqual(
    [...listeners(ports).values()].flat().filter((pid) => before.has(pid)),
    [],
    "no process that was running before down still listens on a component port",
  );
  assert.equal(fs.existsSync(inst.kubeconfig), false, "the kubeconfig is removed");
  assert.equal(suitePids(), suiteBefore, "the suite's own sandbox is as it was");
  assert.equal(fs.readFileSync(callerKubeconfig, "utf8"), callerBefore, "the caller's $KUBECONFIG is untouched");
});

// Last, on the sandbox brought up again: the outage makes its controller manager and scheduler exit
// (they cannot renew their leases), which the tests before this one must not see.
test("its ports are its slot's: a sandbox coming up while its API server is down takes none, and the API server starts again", async () => {
  const up = sandbox("up");
  assert.equal(up.code, 0, `sandbox up failed:\n${up.out}`);
  const inst = instance();
  const ports = componentPorts(inst);
  assert.deepEqual(ports, {
    "kube-apiserver": inst.ports.kubeApiserverPort,
    etcd: inst.ports.etcdPort,
    "etcd-peer": inst.ports.etcdPeerPort,
    "kwok-controller": inst.ports.kwokControllerPort,
    "kube-controller-manager": inst.ports.kubeControllerManagerPort,
    "kube-scheduler": inst.ports.kubeSchedulerPort,
  });
  const apiserver = componentPids(inst)["kube-apiserver"]!;
  process.kill(apiserver, "SIGKILL");
  while (alive(apiserver)) await sleep(50);

  // CI: a sandbox made in this window took the dead API server's port (kwokctl probed it as free),
  // and the API server, started again, never came back.
  const other = sandbox("up", otherEnv);
  try {
    assert.equal(other.code, 0, `the other sandbox's up failed:\n${other.out}`);
    const taken = Object.values(componentPorts(currentInstance(otherEnv)));
    assert.deepEqual(
      Object.entries(ports).filter(([, port]) => taken.includes(port)),
      [],
      "the other sandbox took none of this one's ports",
    );

    // As a control plane's supervisor would: start what is not running.
    const started = await kwokctl(inst, ["start", "cluster"]);
    assert.equal(started.code, 0, `kwokctl start cluster:\n${started.output}`);
    const port = ports["kube-apiserver"];
    let said = "";
    await waitFor(
      "the API server answering /readyz again",
      async () => {
        const r = spawnSync(toolPath("kubectl"), ["--kubeconfig", inst.kubeconfig, "get", "--raw", "/readyz"], { encoding: "utf8" });
        said = r.stdout.trim() || r.stderr.trim();
        return said === "ok";
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch((err: Error) => assert.fail(`${err.message}; kubectl said: ${said}`));
    const again = componentPids(inst)["kube-apiserver"]!;
    assert.notEqual(again, apiserver);
    assert.deepEqual(listeners([port]).get(port), [again], `port ${port} is the new API server's`);
  } finally {
    for (const e of [otherEnv, env]) {
      const down = sandbox("down", e);
      assert.equal(down.code, 0, `${e.REGNET_SANDBOX}: down failed:\n${down.out}`);
    }
  }
});
