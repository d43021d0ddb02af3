// Who listens where, read from the real /proc: the sandbox names a leftover listener's pid with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { listeners, listeningPorts, processIds } from "../../sandbox/cluster/procs";

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
