// Sandbox instances: each gets a network of its own, slots are claimed machine-wide in real files,
// and the kwokctl configuration binds and names what pods need.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { claimInstance, currentInstance, networkForSlot, portsForSlot, releaseInstance, sandboxName } from "../../sandbox/cluster/instance";
import { kwokctlConfig, portsInConfig } from "../../sandbox/cluster/kwok";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { tempDirs } from "../support/tmp";

const tmp = tempDirs("regnet-instance-");

test("networks per slot: the default owns regnet0, 10.244.0.1/16 and regnet-*; others do not overlap it", () => {
  const table: [number, string, string, string][] = [
    [0, "regnet0", "10.244.0.1", "regnet-"],
    [1, "regnet1", "10.245.0.1", "regnet1-"],
    [9, "regnet9", "10.253.0.1", "regnet9-"],
  ];
  for (const [slot, bridge, gateway, netnsPrefix] of table) {
    assert.deepEqual(networkForSlot(slot), { bridge, gateway, prefixLen: 16, netnsPrefix });
  }
  // The default's cleanup of `regnet-*` must never match another sandbox's namespaces.
  for (let s = 1; s <= 9; s++) assert.ok(!networkForSlot(s).netnsPrefix.startsWith("regnet-"));
});

test("control-plane ports per slot: six each, no two slots share one, all below this machine's ephemeral range", () => {
  // Below it, no port-0 bind and no outgoing connection's source port can take one while its owner is down.
  const [ephemeralLow] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
  const seen = new Map<number, number>();
  for (let slot = 0; slot <= 9; slot++) {
    const ports = Object.values(portsForSlot(slot));
    assert.equal(new Set(ports).size, 6, `slot ${slot}: six distinct ports`);
    for (const port of ports) {
      assert.ok(port > 1024 && port < ephemeralLow, `slot ${slot}: port ${port} is below ${ephemeralLow}`);
      assert.equal(seen.get(port), undefined, `port ${port} of slot ${slot} is also slot ${seen.get(port)}'s`);
      seen.set(port, slot);
    }
  }
  assert.equal(portsForSlot(0).kubeApiserverPort, 27400);
});

test("state dirs: named sandboxes in one checkout never share the default's (kubeconfig, kwok, runner)", () => {
  const def = currentInstance({});
  const a = currentInstance({ REGNET_SANDBOX: "alpha" });
  const b = currentInstance({ REGNET_SANDBOX: "beta" });
  assert.equal(def.dir, path.join(repoRoot, ".regnet"));
  assert.equal(a.dir, path.join(repoRoot, ".regnet", "sandboxes", "alpha"));
  assert.equal(new Set([def.kubeconfig, a.kubeconfig, b.kubeconfig]).size, 3);
  assert.equal(new Set([def.kwokWorkdir, a.kwokWorkdir, b.kwokWorkdir]).size, 3);
  assert.equal(new Set([def.runnerPidFile, a.runnerPidFile, b.runnerPidFile]).size, 3);
  // An explicit state dir still wins (CI, tests of the claiming itself).
  assert.equal(currentInstance({ REGNET_SANDBOX: "alpha", REGNET_SANDBOX_DIR: "/tmp/x" }).dir, "/tmp/x");
});

test("sandbox names: default, or REGNET_SANDBOX when it is a valid name", () => {
  assert.equal(sandboxName({}), "default");
  assert.equal(sandboxName({ REGNET_SANDBOX: "ci-1a2b" }), "ci-1a2b");
  assert.throws(() => sandboxName({ REGNET_SANDBOX: "Bad Name" }), /REGNET_SANDBOX="Bad Name" is not a valid sandbox name/);
});

test("named sandboxes claim distinct slots, keep theirs on a second up, and give it back", () => {
  const slots = tmp();
  const a = { REGNET_SLOTS_DIR: slots, REGNET_SANDBOX: "a", REGNET_SANDBOX_DIR: tmp() };
  const b = { REGNET_SLOTS_DIR: slots, REGNET_SANDBOX: "b", REGNET_SANDBOX_DIR: tmp() };
  assert.equal(currentInstance(a).slot, -1, "unknown before the first up");
  const ia = claimInstance(a);
  const ib = claimInstance(b);
  assert.equal(ia.slot, 1);
  assert.equal(ib.slot, 2);
  assert.equal(claimInstance(a).slot, 1, "same sandbox, same slot");
  assert.equal(currentInstance(b).bridge, "regnet2");
  releaseInstance(ia, a);
  assert.equal(fs.existsSync(path.join(slots, "1")), false);
  assert.equal(currentInstance(a).slot, -1);
  const c = { REGNET_SLOTS_DIR: slots, REGNET_SANDBOX: "c", REGNET_SANDBOX_DIR: tmp() };
  assert.equal(claimInstance(c).slot, 1, "a released slot is reused");
});

test("the default slot belongs to one state dir; a stale claim (owner gone) is taken over", () => {
  const slots = tmp();
  const first = { REGNET_SLOTS_DIR: slots, REGNET_SANDBOX_DIR: tmp() };
  const second = { REGNET_SLOTS_DIR: slots, REGNET_SANDBOX_DIR: tmp() };
  assert.equal(claimInstance(first).slot, 0);
  assert.throws(
    () => claimInstance(second),
    (err: Error) => {
      assert.match(err.message, /belongs to/);
      assert.ok(err.message.includes(first.REGNET_SANDBOX_DIR), "names the owner");
      assert.match(err.message, /REGNET_SANDBOX=<name>/, "says how to get another one");
      return true;
    },
  );
  fs.rmSync(path.join(first.REGNET_SANDBOX_DIR, "instance.json"));
  assert.equal(claimInstance(second).slot, 0);
});

test("kwokctl config: loopback everywhere but the API server, which pods reach at the bridge address", () => {
  const inst = { ...currentInstance({ REGNET_SANDBOX_DIR: tmp() }), ...networkForSlot(3), ports: portsForSlot(3) };
  type Patch = { name: string; extraArgs?: unknown[]; extraEnvs?: unknown[] };
  const doc = parse(kwokctlConfig(inst, { PATH: "/shims:/usr/bin" })) as {
    kind: string;
    options: Record<string, unknown>;
    componentsPatches: Patch[];
  };
  assert.equal(doc.kind, "KwokctlConfiguration");
  assert.equal(doc.options.runtime, "binary");
  assert.equal(doc.options.bindAddress, "127.0.0.1");
  assert.deepEqual(doc.options.kubeApiserverCertSANs, ["10.247.0.1"]);
  assert.equal(doc.options.kubeAuthorization, true);
  // Every port is the slot's, none left for kwokctl to probe.
  assert.equal(doc.options.kubeApiserverPort, 27430);
  for (const [key, port] of Object.entries(portsForSlot(3))) assert.equal(doc.options[key], port, key);
  const api = doc.componentsPatches.find((p) => p.name === "kube-apiserver");
  assert.deepEqual(api?.extraArgs, [
    { key: "bind-address", value: "0.0.0.0", override: true },
    { key: "advertise-address", value: "10.247.0.1" },
  ]);
  const kwok = doc.componentsPatches.find((p) => p.name === "kwok-controller");
  assert.deepEqual(kwok?.extraEnvs, [{ name: "PATH", value: "/shims:/usr/bin" }]);
  for (const key of ["etcdBinary", "kubeApiserverBinary", "kubeControllerManagerBinary", "kubeSchedulerBinary", "kwokControllerBinary"]) {
    assert.ok(path.isAbsolute(String(doc.options[key])), `${key} is an absolute path into the toolchain cache`);
  }
});

// `down` waits for, and then checks, every port the cluster's saved configuration names: a port
// left out here is one a leftover controller manager or scheduler could hold unnoticed.
test("component ports: read back from a kwokctl configuration, all six, by component", () => {
  const inst = { ...currentInstance({ REGNET_SANDBOX_DIR: tmp() }), ...networkForSlot(3), ports: portsForSlot(3) };
  const kwokConfiguration = "---\napiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions:\n  nodePort: 1\n";
  assert.deepEqual(portsInConfig(kwokctlConfig(inst, {}) + kwokConfiguration), {
    "kube-apiserver": 27430,
    etcd: 27431,
    "etcd-peer": 27432,
    "kwok-controller": 27433,
    "kube-controller-manager": 27434,
    "kube-scheduler": 27435,
  });
  assert.deepEqual(portsInConfig(kwokConfiguration), {}, "no KwokctlConfiguration, no ports");
});
