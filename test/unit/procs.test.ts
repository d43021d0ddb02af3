// Who listens where, read from the real /proc: the sandbox names the process on a port it needs, or left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { listeners, listeningPorts, processIds } from "../../sandbox/cluster/procs";
import { checkPortsFree } from "../../sandbox/cluster/cluster";
import { type ControlPlanePorts, currentInstance } from "../../sandbox/cluster/instance";

const listen = (server: net.Server) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));

test("listeners names this process for a port it listens on, and nothing for a closed one", async () => {
  const server = net.createServer();
  const port = await listen(server);
  try {
    assert.ok(processIds().includes(process.pid));
    assert.ok(listeningPorts().has(port), `port ${port} is listed as listening`);
    assert.deepEqual(listeners([port]), new Map([[port, [process.pid]]]));
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(listeningPorts().has(port), false, `port ${port} is no longer listening once closed`);
  assert.deepEqual(listeners([port]), new Map());
});

/** Six ports nothing listens on now: the kernel handed them out and took them back (a real slot's may be in use by another sandbox). */
async function freePorts(): Promise<ControlPlanePorts> {
  const servers = Array.from({ length: 6 }, () => net.createServer());
  const [a, b, c, d, e, f] = await Promise.all(servers.map(listen));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return { kubeApiserverPort: a, etcdPort: b, etcdPeerPort: c, kwokControllerPort: d, kubeControllerManagerPort: e, kubeSchedulerPort: f };
}

test("sandbox up refuses a slot whose port another process holds, naming the port, the pid and the way out", async () => {
  const ports = await freePorts();
  const server = net.createServer();
  const port = await listen(server);
  const inst = {
    ...currentInstance({ REGNET_SANDBOX: "held", REGNET_SANDBOX_DIR: "/nonexistent" }),
    slot: 4,
    ports: { ...ports, etcdPort: port },
  };
  try {
    assert.throws(
      () => checkPortsFree(inst),
      new RegExp(
        `sandbox held \\(slot 4\\) needs ports [0-9, ]*\\b${port}\\b[0-9, ]*, but ${port} is held by pid ${process.pid} \\(node[^)]*\\): stop that process, or use another slot`,
      ),
    );
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.doesNotThrow(() => checkPortsFree(inst), "once the port is free");
});
