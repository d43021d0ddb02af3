// The access resolver's choices, with real local sockets and no cluster: forced modes never probe;
// "auto" follows the probe (a node that answers → direct, kept; anything else → a port-forward
// listener on 127.0.0.1, reused per pod and re-opened after a prune; unclear → this call only).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as k8s from "@kubernetes/client-node";
import { AccessResolver, type Probe } from "../../provider/rpc/access";
import { silentLogger } from "../../provider/log";

const kc = new k8s.KubeConfig(); // a forward contacts the API server only when a connection arrives
const pod = (name: string) => ({ namespace: "ns", pod: name, ip: "10.1.2.3", port: 18334 });

function counting(answer: Probe) {
  const probe = async () => {
    probe.calls++;
    return answer;
  };
  probe.calls = 0;
  return probe;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

test("forced modes never probe", async () => {
  const probe = counting("unroutable");
  const direct = new AccessResolver(kc, "direct", silentLogger);
  assert.deepEqual(await direct.endpoint(pod("a"), probe), { host: "10.1.2.3", port: 18334, via: "direct" });
  const pf = new AccessResolver(kc, "port-forward", silentLogger);
  const ep = await pf.endpoint(pod("a"), counting("routable"));
  assert.equal(ep.via, "port-forward");
  assert.equal(ep.host, "127.0.0.1");
  assert.equal(probe.calls, 0);
  await pf.close();
});

test("auto: a node that answers directly makes the path direct, decided once for all pods", async () => {
  const r = new AccessResolver(kc, "auto", silentLogger);
  const probe = counting("routable");
  const [a, b] = await Promise.all([r.endpoint(pod("a"), probe), r.endpoint(pod("b"), probe)]);
  assert.equal(a.via, "direct");
  assert.equal(b.via, "direct");
  assert.equal(r.mode, "direct");
  await r.endpoint(pod("c"), counting("unroutable"));
  assert.equal(probe.calls, 1, "concurrent first calls share one probe");
  assert.equal(r.mode, "direct");
});

test("auto: no node answer → a port-forward listener on 127.0.0.1, reused per pod, re-opened after prune", async () => {
  const r = new AccessResolver(kc, "auto", silentLogger);
  const ep = await r.endpoint(pod("a"), counting("unroutable"));
  assert.equal(ep.via, "port-forward");
  assert.equal(r.mode, "port-forward");
  assert.ok(await accepts(ep.port), "the local forward listens");
  assert.equal((await r.endpoint(pod("a"))).port, ep.port, "same pod, same forward");
  assert.notEqual((await r.endpoint(pod("b"))).port, ep.port, "another pod, another forward");
  await r.prune("other", () => true);
  assert.ok(await accepts(ep.port), "another namespace's prune leaves it");
  await r.prune("ns", (p) => p !== "b");
  assert.ok(!(await accepts(ep.port)), "the pruned forward is closed");
  assert.notEqual((await r.endpoint(pod("a"))).port, ep.port);
  await r.close();
});

test("auto: an unclear probe sends this call through a forward and decides nothing", async () => {
  const r = new AccessResolver(kc, "auto", silentLogger);
  assert.equal((await r.endpoint(pod("a"), counting("unknown"))).via, "port-forward");
  assert.equal(r.mode, undefined);
  assert.equal((await r.endpoint(pod("a"), counting("routable"))).via, "direct");
  await r.close();
});
