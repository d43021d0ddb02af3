// The benchmark's pure parts: statistics, the text table, the plan, the API server's counter
// parsing, the floor's command lines and network, the goals and the chart's data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtSummary, median, ratio, summarize } from "../../bench/lib/stats";
import { renderTable } from "../../bench/lib/table";
import { makePlan, planSteps } from "../../bench/lib/plan";
import { diffCounts, parseRequestTotals, readWrite } from "../../bench/lib/apimetrics";
import { floorArgs, floorNetwork } from "../../bench/parts/floor";
import { breakdownTable, goals, floorRatio, mergeResults, perKDegree } from "../../bench/lib/report";
import { chartPoints, chartSpec } from "../../bench/lib/chart";
import type { BenchResults, ConvergeCase } from "../../bench/lib/results";
import { networkForSlot } from "../../sandbox/cluster/instance";
import { defer, undoAll } from "../../bench/lib/cleanup";

test("stats: median of odd and even counts, min and max, missing values skipped", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no values/);
  assert.deepEqual(summarize([5, undefined, 1, 3]), { median: 3, min: 1, max: 5, n: 3 });
  assert.equal(summarize([undefined]), undefined);
  assert.equal(fmtSummary({ median: 1500, min: 1000, max: 2500, n: 3 }, 1, 1000), "1.5 (1.0–2.5)");
  assert.equal(fmtSummary(undefined), "–");
  assert.equal(ratio({ median: 3, min: 3, max: 3, n: 1 }, { median: 2, min: 2, max: 2, n: 1 }), 1.5);
  assert.equal(ratio(undefined, { median: 2, min: 2, max: 2, n: 1 }), undefined);
});

test("table: columns padded to the widest cell, numbers right-aligned, text left-aligned", () => {
  const t = renderTable(
    ["name", "s"],
    [
      ["floor", "1.5"],
      ["controller", "12.25 (1.0–20.0)"],
    ],
  ).split("\n");
  assert.equal(t[0], "name        s");
  assert.equal(t[1], "----------  ----------------");
  assert.equal(t[2], "floor                    1.5");
  assert.equal(t[3], "controller  12.25 (1.0–20.0)");
});

test("plan: the full run has N=100 btcd and N=50 Core through both front doors, each beside its floor", () => {
  const p = makePlan();
  const has = (strategy: string, impl: string, nodes: number) =>
    p.converge.some((c) => c.strategy === strategy && c.impl === impl && c.nodes === nodes);
  for (const s of ["floor", "controller", "pulumi"]) {
    for (const n of [5, 20, 50, 100]) assert.ok(has(s, "btcd", n), `${s} btcd ${n}`);
    for (const n of [5, 20, 50]) assert.ok(has(s, "bitcoin-core", n), `${s} Core ${n}`);
    assert.ok(!has(s, "bitcoin-core", 100), "Core stops at 50");
  }
  assert.ok(
    p.converge.every((c) => c.runs >= 3),
    "≥ 3 runs per figure",
  );
  assert.ok(has("naive", "btcd", 5));
  assert.ok(p.economy.some((e) => e.nodes === 20) && p.economy.some((e) => e.nodes === 5));
  assert.deepEqual(p.reaction, { scaleRuns: 20, killRuns: 3, idleNetworks: 20 });
  // Strategies of one size run next to each other (similar load).
  const first100 = p.converge.findIndex((c) => c.nodes === 100);
  assert.deepEqual(
    p.converge.slice(first100, first100 + 3).map((c) => c.strategy),
    ["floor", "controller", "pulumi"],
  );
  assert.equal(planSteps(p), p.converge.reduce((a, c) => a + c.runs, 0) + p.economy.length + 2);
});

test("plan: --quick is btcd at N=5 only; parts, implementations and sizes narrow it; bad --runs is refused", () => {
  const q = makePlan({ quick: true });
  assert.ok(q.quick && q.converge.length > 0 && q.converge.every((c) => c.impl === "btcd" && c.nodes === 5));
  assert.ok(!q.converge.some((c) => c.strategy === "naive"));
  const only = makePlan({ parts: ["floor"], impls: ["bitcoin-core"], nodes: [20] });
  assert.deepEqual(only.converge, [{ strategy: "floor", impl: "bitcoin-core", nodes: 20, runs: 3 }]);
  assert.equal(only.preview, undefined);
  assert.equal(only.reaction, undefined);
  assert.deepEqual(only.economy, []);
  assert.throws(() => makePlan({ runs: 0 }), /--runs must be a whole number ≥ 1/);
});

test("apimetrics: apiserver_request_total parsed by verb and resource, codes summed; reads and writes of the network's resources", () => {
  const text = [
    "# HELP apiserver_request_total x",
    'apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="statefulsets",scope="resource",subresource="",verb="GET",version="v1"} 7',
    'apiserver_request_total{code="404",component="apiserver",dry_run="",group="apps",resource="statefulsets",scope="resource",subresource="",verb="GET",version="v1"} 2',
    'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} 4',
    'apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 100',
    'apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 1',
  ].join("\n");
  const before = parseRequestTotals(text);
  assert.equal(before.get("GET statefulsets"), 9);
  assert.equal(before.get("PATCH pods/status"), 4);
  const after = new Map(before);
  after.set("GET statefulsets", 12);
  after.set("PUT leases", 150);
  after.set("APPLY services", 1);
  after.set("PATCH pods/status", 9);
  const rw = readWrite(diffCounts(after, before));
  // Pod status is the node runner's write, not regnet's: left out unless asked for.
  assert.deepEqual(rw, { reads: 3, writes: 1, detail: { "GET statefulsets": 3, "APPLY services": 1 } });
  assert.equal(readWrite(diffCounts(after, before), ["pods"], ["pods", "services"]).writes, 6);
});

test("floor: its own bridge, subnet and namespaces, apart from every sandbox slot's", () => {
  for (let slot = 0; slot <= 9; slot++) {
    const f = floorNetwork(slot);
    const s = networkForSlot(slot);
    assert.notEqual(f.bridge, s.bridge);
    assert.ok(!f.netnsPrefix.startsWith("regnet") && !f.bridge.startsWith("regnet"));
    assert.ok(f.bridge.length + 2 + 8 <= 15, "veth names fit in 15 characters");
    const second = (ip: string) => Number(ip.split(".")[1]);
    assert.ok(second(f.gateway) >= 230 && second(f.gateway) < 244, f.gateway);
    for (let other = 0; other <= 9; other++) assert.notEqual(second(f.gateway), second(networkForSlot(other).gateway));
  }
  assert.equal(floorNetwork(-1).bridge, "rnf0");
});

test("floor: the pods' node command line, with the pod's paths mapped to the node's folder", () => {
  const btcd = floorArgs("btcd", "/x/n1", "unused");
  assert.ok(btcd.includes("--configfile=/x/n1/rpc/btcd.conf"), btcd.join(" "));
  assert.ok(btcd.includes("--datadir=/x/n1/data/data") && btcd.includes("--logdir=/x/n1/data/logs"));
  assert.ok(
    btcd.includes("--rpccert=/x/n1/rpc/tls.crt") && btcd.includes("--utxocachemaxsize=8") && btcd.includes("--sigcachemaxsize=1000"),
  );
  const core = floorArgs("bitcoin-core", "/x/n2", "regnet:ab$cd");
  assert.ok(core.includes("-datadir=/x/n2/data") && core.includes("-rpcauth=regnet:ab$cd") && core.includes("-dbcache=16"), core.join(" "));
  assert.ok(!core.some((a) => a.includes("$(")), "no unexpanded variable left");
});

const run = (syncedMs: number, extra: Partial<ConvergeCase["runs"][number]> = {}) => ({
  syncedMs,
  load: [1, 1, 1] as [number, number, number],
  ...extra,
});
function results(cases: ConvergeCase[], more: Partial<BenchResults> = {}): BenchResults {
  return {
    version: 1,
    startedAt: "2026-01-01T00:00:00Z",
    quick: false,
    machine: { cpus: 2, memGiB: 24, node: "v22", sandbox: "t" },
    loadBefore: [1, 1, 1],
    converge: cases,
    economy: [],
    failures: [],
    ...more,
  };
}

test("goals: ratio to the floor of the same implementation and size; each goal met or not from the medians", () => {
  const r = results([
    { strategy: "floor", impl: "btcd", nodes: 20, topology: "ring", runs: [run(1000), run(2000), run(3000)] },
    {
      strategy: "controller",
      impl: "btcd",
      nodes: 20,
      topology: "ring",
      runs: [run(2900, { teardownMs: 4000 }), run(3000, { teardownMs: 6000 }), run(9000, { teardownMs: 4500 })],
    },
    { strategy: "pulumi", impl: "btcd", nodes: 20, topology: "ring", runs: [run(4000, { nodeRssMiB: 40 })] },
    { strategy: "controller", impl: "bitcoin-core", nodes: 20, topology: "ring", runs: [run(1000)] },
  ]);
  assert.equal(floorRatio(r, r.converge[1]), 1.5);
  const g = goals(r);
  const find = (s: string) => g.find((x) => x.goal.includes(s))!;
  assert.equal(find("btcd N=20 via controller").met, true); // 1.5 is within ≤ 1.5
  assert.equal(find("btcd N=20 via pulumi").met, false);
  assert.equal(find("Core N=20 via controller").met, undefined); // no Core floor
  assert.equal(find("teardown of 20 nodes ≤ 5 s: btcd via controller").met, true); // median 4.5 s
  assert.equal(find("RSS per btcd node").met, false);
});

test("goals: a no-op reconcile must write nothing; +k nodes is judged per added node and peer", () => {
  const step = (s: string, rpcWrites: number, apiWrites = 0) => ({
    step: s,
    passes: 1,
    rpcReads: 10,
    rpcWrites,
    engineApiWrites: apiWrites,
    api: { reads: 5, writes: apiWrites, detail: {} },
  });
  const e = {
    impl: "btcd" as const,
    nodes: 20,
    added: 2,
    topology: "ring",
    degree: 2,
    steps: [step("create", 40, 3), step("no-op", 0), step("+2 nodes", 12, 1)],
  };
  assert.equal(perKDegree(e), 3);
  const g = goals(results([], { economy: [e, { ...e, nodes: 5, steps: [step("no-op", 1), step("+2 nodes", 30)] }] }));
  assert.deepEqual(
    g.map((x) => [x.goal.split(":")[0], x.met]),
    [
      ["no-op reconcile writes 0", true],
      ["+2 nodes is O(k·degree)", true],
      ["no-op reconcile writes 0", false],
      ["+2 nodes is O(k·degree)", false],
    ],
  );
});

test("chart: one point per case in seconds with min and max, floor marked; a faceted vega-lite spec that compiles", async () => {
  const r = results([
    { strategy: "floor", impl: "btcd", nodes: 5, topology: "ring", runs: [run(1000), run(3000), run(2000)] },
    { strategy: "pulumi", impl: "bitcoin-core", nodes: 5, topology: "ring", runs: [run(8000)] },
    { strategy: "controller", impl: "btcd", nodes: 5, topology: "ring", runs: [] },
  ]);
  assert.deepEqual(chartPoints(r), [
    { impl: "btcd", strategy: "floor (raw processes)", nodes: 5, median: 2, min: 1, max: 3, floor: true },
    { impl: "Bitcoin Core", strategy: "regnet, Pulumi", nodes: 5, median: 8, min: 8, max: 8, floor: false },
  ]);
  const vl = await import("vega-lite");
  const compiled = vl.compile(chartSpec(r)).spec;
  assert.ok(JSON.stringify(compiled).includes("seconds to synced"));
});

test("breakdown: the controller's pods created / running / Ready, and regnet's part from Ready to synced, beside the floor", () => {
  const r = results([
    { strategy: "floor", impl: "btcd", nodes: 20, topology: "ring", runs: [run(3000, { answeringMs: 1000 })] },
    {
      strategy: "controller",
      impl: "btcd",
      nodes: 20,
      topology: "ring",
      runs: [run(14000, { podsCreatedMs: 500, podsRunningMs: 8000, podsReadyMs: 11000 })],
    },
  ]);
  const row = breakdownTable(r)
    .split("\n")[2]
    .split(/\s{2,}/);
  assert.deepEqual(row, ["btcd", "20", "0.5", "8.0", "11.0", "14.0", "3.0", "3.0", "2.0"]);
});

test("cleanup: an undo runs once; a caller arriving while it runs waits for that run; undoAll runs what is left, newest first", async () => {
  const order: string[] = [];
  let release!: () => void;
  const slow = defer("slow", async () => {
    order.push("slow start");
    await new Promise<void>((r) => (release = r));
    order.push("slow end");
  });
  defer("a", () => void order.push("a"));
  defer("b", () => void order.push("b"));
  const first = slow();
  let secondDone = false;
  const second = slow().then(() => (secondDone = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(secondDone, false, "the second caller waits for the clean-up in progress");
  release();
  await Promise.all([first, second]);
  await undoAll(() => undefined);
  await undoAll(() => undefined);
  assert.deepEqual(order, ["slow start", "slow end", "b", "a"]);
});

test("merge: a later run's cases replace the same cases of an earlier run, the rest is kept; its failures replace the replaced parts'", () => {
  const a = results(
    [
      { strategy: "floor", impl: "btcd", nodes: 5, topology: "ring", runs: [run(1000)] },
      { strategy: "controller", impl: "btcd", nodes: 5, topology: "ring", runs: [run(9000)] },
    ],
    {
      durationS: 100,
      failures: [
        { part: "controller bitcoin-core N=5", error: "x" },
        { part: "preview", error: "y" },
      ],
    },
  );
  const b = results(
    [
      { strategy: "controller", impl: "btcd", nodes: 5, topology: "ring", runs: [run(4000)] },
      { strategy: "controller", impl: "bitcoin-core", nodes: 5, topology: "ring", runs: [run(5000)] },
    ],
    { durationS: 50, startedAt: "2026-01-02T00:00:00Z" },
  );
  const m = mergeResults([a, b]);
  assert.deepEqual(
    m.converge.map((c) => [c.strategy, c.impl, c.runs[0].syncedMs]),
    [
      ["floor", "btcd", 1000],
      ["controller", "btcd", 4000],
      ["controller", "bitcoin-core", 5000],
    ],
  );
  assert.deepEqual(m.failures, [{ part: "preview", error: "y" }]);
  assert.equal(m.durationS, 150);
  assert.equal(m.merged?.length, 2);
});
