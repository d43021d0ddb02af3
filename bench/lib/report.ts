// The report: figures (median, min, max) from the raw runs, the tables printed on stdout, and the
// goals of issue #11 checked against them (reported, never asserted).
import { fmtSummary, ratio, summarize, type Summary } from "./stats";
import { renderTable } from "./table";
import type { BenchResults, ConvergeCase, EconomyCase, Strategy } from "./results";

const IMPL_LABEL = { btcd: "btcd", "bitcoin-core": "Core" } as const;
const s1 = (ms: Summary | undefined) => fmtSummary(ms, 1, 1000);

/**
 * Several runs as one: a later run's converge cases (same strategy, implementation and N) replace an
 * earlier run's, its economy cases likewise, its preview and reaction too when it has them. The
 * machine line is the first run's; the load, time and failures of each are kept.
 */
export function mergeResults(runs: BenchResults[]): BenchResults {
  const [first, ...rest] = runs;
  const out: BenchResults = structuredClone(first);
  for (const r of rest) {
    const key = (c: ConvergeCase) => `${c.strategy}/${c.impl}/${c.nodes}`;
    const later = new Set(r.converge.map(key));
    out.converge = [...out.converge.filter((c) => !later.has(key(c))), ...r.converge];
    const ekey = (e: EconomyCase) => `${e.impl}/${e.nodes}/${e.topology}`;
    const laterE = new Set(r.economy.map(ekey));
    out.economy = [...out.economy.filter((e) => !laterE.has(ekey(e))), ...r.economy];
    out.preview = r.preview ?? out.preview;
    out.reaction = r.reaction ?? out.reaction;
    const laterParts = new Set([...r.converge.map((c) => `${c.strategy} ${c.impl} N=${c.nodes}`), ...(r.reaction ? ["reaction"] : [])]);
    out.failures = [...out.failures.filter((f) => !laterParts.has(f.part)), ...r.failures];
    out.durationS = (out.durationS ?? 0) + (r.durationS ?? 0);
    out.loadAfter = r.loadAfter;
    out.finishedAt = r.finishedAt;
  }
  out.merged = runs.map((r) => ({ startedAt: r.startedAt, durationS: r.durationS, loadBefore: r.loadBefore, loadAfter: r.loadAfter }));
  return out;
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** The floor case a regnet case is compared with: same implementation and node count. */
function floorOf(results: BenchResults, c: ConvergeCase): ConvergeCase | undefined {
  return results.converge.find((f) => f.strategy === "floor" && f.impl === c.impl && f.nodes === c.nodes);
}

const synced = (c: ConvergeCase | undefined) => summarize(c?.runs.map((r) => r.syncedMs) ?? []);

export function floorRatio(results: BenchResults, c: ConvergeCase): number | undefined {
  return ratio(synced(c), synced(floorOf(results, c)));
}

const ORDER: Strategy[] = ["floor", "controller", "pulumi", "naive"];
function sortedCases(results: BenchResults): ConvergeCase[] {
  return [...results.converge].sort(
    (a, b) => a.impl.localeCompare(b.impl) || a.nodes - b.nodes || ORDER.indexOf(a.strategy) - ORDER.indexOf(b.strategy),
  );
}

function convergeTable(results: BenchResults): string {
  const rows = sortedCases(results).map((c) => {
    const r = floorRatio(results, c);
    const loads = c.runs.map((x) => x.load[0]);
    return [
      IMPL_LABEL[c.impl],
      String(c.nodes),
      c.strategy,
      s1(summarize(c.runs.map((x) => x.answeringMs))),
      s1(summarize(c.runs.map((x) => x.wiredMs))),
      s1(synced(c)),
      c.strategy === "floor" || r === undefined ? "–" : `${r.toFixed(2)}x`,
      s1(summarize(c.runs.map((x) => x.teardownMs))),
      loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : "–",
    ];
  });
  return renderTable(
    ["impl", "N", "strategy", "answering/ready s", "connected/wired s", "synced s", "vs floor", "teardown s", "load1"],
    rows,
  );
}

/**
 * Where the controller's time goes: until its pods exist, run and are Ready (Kubernetes, the node
 * runner, the readiness probe), then regnet's own part from all Ready to synced — next to the floor.
 */
export function breakdownTable(results: BenchResults): string {
  const rows = sortedCases(results)
    .filter((c) => c.strategy === "controller")
    .map((c) => {
      const med = (f: (r: ConvergeCase["runs"][number]) => number | undefined) => s1(summarize(c.runs.map(f)));
      return [
        IMPL_LABEL[c.impl],
        String(c.nodes),
        med((r) => r.podsCreatedMs),
        med((r) => r.podsRunningMs),
        med((r) => r.podsReadyMs),
        med((r) => r.syncedMs),
        med((r) => (r.podsReadyMs === undefined ? undefined : r.syncedMs - r.podsReadyMs)),
        s1(synced(floorOf(results, c))),
        s1(summarize(floorOf(results, c)?.runs.map((r) => (r.answeringMs === undefined ? undefined : r.syncedMs - r.answeringMs)) ?? [])),
      ];
    });
  return renderTable(
    ["impl", "N", "pods created", "pods running", "pods Ready", "synced", "Ready → synced", "floor synced", "floor answering → synced"],
    rows,
  );
}

function memoryTable(results: BenchResults): string {
  const rows = sortedCases(results).map((c) => [
    IMPL_LABEL[c.impl],
    String(c.nodes),
    c.strategy,
    fmtSummary(summarize(c.runs.map((x) => x.nodeRssMiB))),
    fmtSummary(summarize(c.runs.map((x) => x.controllerRssMiB))),
    fmtSummary(summarize(c.runs.map((x) => x.providerRssMiB))),
  ]);
  return renderTable(["impl", "N", "strategy", "RSS/node MiB", "controller MiB", "Pulumi provider MiB"], rows);
}

/** RPC writes per added node and per expected peer: the O(k·degree) figure. */
export function perKDegree(e: EconomyCase): number | undefined {
  const add = e.steps.find((s) => s.step.startsWith("+"));
  return add ? add.rpcWrites / (e.added * e.degree) : undefined;
}

function economyTable(results: BenchResults): string {
  const rows = results.economy.flatMap((e) =>
    e.steps.map((s) => [
      IMPL_LABEL[e.impl],
      `${e.nodes} ${e.topology}`,
      s.step,
      String(s.passes),
      String(s.rpcReads),
      String(s.rpcWrites),
      String(s.api.reads),
      String(s.api.writes),
      String(s.engineApiWrites),
      s.step.startsWith("+") ? (perKDegree(e)?.toFixed(2) ?? "–") : "–",
    ]),
  );
  return renderTable(
    ["impl", "network", "step", "passes", "RPC reads", "RPC writes", "API reads", "API writes", "engine API writes", "writes/(k·deg)"],
    rows,
  );
}

function previewTable(results: BenchResults): string {
  const p = results.preview;
  if (!p) return "(preview not run)";
  const row = (what: string, xs: number[]) => [what, s1(summarize(xs)), String(xs.length)];
  return [
    renderTable(
      ["pulumi preview", "wall s", "runs"],
      [row(`${p.change} (${IMPL_LABEL[p.impl]})`, p.changeMs), row("same stack, no change", p.unchangedMs), row("empty stack", p.emptyMs)],
    ),
    `during the ${p.change} previews: network API reads ${p.api.reads}, writes ${p.api.writes}; provider calls that opened an engine (RPC): ${p.providerEngineCalls}; steps shown: ${p.steps.join(", ") || "none"}`,
  ].join("\n");
}

function reactionTable(results: BenchResults): string {
  const r = results.reaction;
  if (!r) return "(controller reaction not run)";
  const ms = (xs: number[]) => fmtSummary(summarize(xs), 0);
  return renderTable(
    ["controller reaction", "median (min–max)", "runs"],
    [
      ["spec change → StatefulSet replicas, ms", ms(r.scaleMs), String(r.scaleMs.length)],
      ["node killed → status shows it, ms", ms(r.killMs), String(r.killMs.length)],
      [`idle controller RSS with ${r.idleNetworks} networks, MiB`, fmtSummary(summarize(r.idleRssMiB)), String(r.idleRssMiB.length)],
    ],
  );
}

export function goals(results: BenchResults): Goal[] {
  const out: Goal[] = [];
  for (const c of sortedCases(results)) {
    if ((c.strategy !== "controller" && c.strategy !== "pulumi") || ![5, 20, 100].includes(c.nodes)) continue;
    const r = floorRatio(results, c);
    const why = c.runs.length === 0 ? "no run completed" : "no floor to compare with";
    out.push({
      goal: `regnet/floor ≤ 1.5: ${IMPL_LABEL[c.impl]} N=${c.nodes} via ${c.strategy}`,
      measured: r === undefined ? why : `${r.toFixed(2)}x (${s1(synced(c))} s vs ${s1(synced(floorOf(results, c)))} s)`,
      met: r === undefined ? undefined : r <= 1.5,
    });
  }
  const btcdRss = summarize(
    results.converge.filter((c) => c.impl === "btcd" && c.strategy !== "floor").flatMap((c) => c.runs.map((r) => r.nodeRssMiB)),
  );
  if (btcdRss)
    out.push({ goal: "≤ 30 MB RSS per btcd node (regnet)", measured: `${fmtSummary(btcdRss)} MiB`, met: btcdRss.max * 1.048576 <= 30 });
  const p = results.preview;
  if (p) {
    const rel = ratio(summarize(p.changeMs), summarize(p.emptyMs));
    out.push({
      goal: "preview 3 → 5: 0 writes, 0 RPC, ≤ 1.2× an empty preview",
      measured: `${p.api.writes} writes, ${p.providerEngineCalls} engine calls, ${rel?.toFixed(2)}× empty`,
      met: p.api.writes === 0 && p.providerEngineCalls === 0 && rel !== undefined && rel <= 1.2,
    });
  }
  for (const e of results.economy) {
    const noop = e.steps.find((s) => s.step === "no-op");
    if (noop)
      out.push({
        goal: `no-op reconcile writes 0: ${IMPL_LABEL[e.impl]} ${e.nodes} ${e.topology}`,
        measured: `RPC writes ${noop.rpcWrites}, API writes ${noop.api.writes} (engine ${noop.engineApiWrites})`,
        met: noop.rpcWrites === 0 && noop.api.writes === 0 && noop.engineApiWrites === 0,
      });
    const k = perKDegree(e);
    if (k !== undefined)
      out.push({
        goal: `+${e.added} nodes is O(k·degree): ${IMPL_LABEL[e.impl]} ${e.nodes} ${e.topology}`,
        measured: `${k.toFixed(2)} RPC writes per added node per peer`,
        met: k <= 4,
      });
  }
  const r = results.reaction;
  if (r) {
    const scale = summarize(r.scaleMs);
    const kill = summarize(r.killMs);
    out.push({ goal: "reaction < 1 s: spec change → replicas", measured: `${fmtSummary(scale, 0)} ms`, met: scale && scale.median < 1000 });
    out.push({ goal: "reaction < 1 s: node killed → status", measured: `${fmtSummary(kill, 0)} ms`, met: kill && kill.median < 1000 });
  }
  for (const c of sortedCases(results)) {
    if (c.nodes !== 20 || (c.strategy !== "controller" && c.strategy !== "pulumi")) continue;
    const t = summarize(c.runs.map((x) => x.teardownMs));
    out.push({
      goal: `teardown of 20 nodes ≤ 5 s: ${IMPL_LABEL[c.impl]} via ${c.strategy}`,
      measured: `${s1(t)} s`,
      met: t === undefined ? undefined : t.median <= 5000,
    });
  }
  return out;
}

function goalsTable(results: BenchResults): string {
  return renderTable(
    ["goal", "measured", "met"],
    goals(results).map((g) => [g.goal, g.measured, g.met === undefined ? "?" : g.met ? "yes" : "NO"]),
  );
}

export function fullReport(results: BenchResults, chartPath?: string): string {
  const m = results.machine;
  const merged = results.merged?.length
    ? [
        `merged from ${results.merged.length} runs: ${results.merged.map((m) => `${m.startedAt} (${m.durationS} s, load ${m.loadBefore[0]} → ${m.loadAfter?.[0]})`).join("; ")}`,
      ]
    : [];
  const head = [
    `regnet bench ${results.quick ? "(--quick) " : ""}${results.startedAt}: ${m.cpus} cores, ${m.memGiB} GiB, Node ${m.node}, sandbox ${m.sandbox}; ` +
      `load before ${results.loadBefore.join(" ")}, after ${results.loadAfter?.join(" ") ?? "?"}; took ${results.durationS ?? "?"} s`,
    "figures: median (min–max) of the runs; times from create/apply (regnet) or process start (floor)",
    ...merged,
  ];
  const sections: [string, string][] = [
    ["Time to a synced network (s)", convergeTable(results)],
    ["Where the controller's time goes (s from create; Kubernetes and the node runner until Ready, regnet after)", breakdownTable(results)],
    ["Memory (MiB)", memoryTable(results)],
    ["RPC and API requests per step (API: the API server's own count, the network's resources)", economyTable(results)],
    ["Pulumi preview", previewTable(results)],
    ["Controller", reactionTable(results)],
    ["Goals (issue #11; reported, not asserted)", goalsTable(results)],
  ];
  const failures = results.failures.map((f) => `FAILED ${f.part}: ${f.error}`);
  return [
    ...head,
    ...sections.flatMap(([t, body]) => ["", `== ${t}`, body]),
    ...(failures.length ? ["", ...failures] : []),
    ...(chartPath ? ["", `chart: ${chartPath}`] : []),
  ].join("\n");
}
