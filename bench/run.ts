// `npm run bench`: how regnet scales and how far it is from the limit, on the local sandbox with real
// nodes (issue #11). Parts: the floor (raw node processes, no Kubernetes), regnet through the
// controller and through Pulumi, the naive strategy, RPC/API economy per reconcile, `pulumi
// preview`, and the controller's reaction and idle cost. Prints the tables on stdout, one progress
// line per step on stderr, and writes the JSON and a PNG chart under .regnet/bench/.
//   npm run bench -- [--quick] [--runs 3] [--parts floor,controller,...] [--impl btcd,bitcoin-core] [--nodes 5,20]
//   npm run bench -- --report <file.json>[,<later.json>]   (tables and chart again from saved runs; a
//   later run's cases replace the same cases of an earlier one, e.g. a re-run of some parts)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Implementation } from "../provider/spec";
import { messageOf } from "../provider/errors";
import { down, isUp, up } from "../sandbox/cluster/cluster";
import { repoRoot, toolchainEnv } from "../sandbox/toolchain/paths";
import { applyPlatform, CONTROLLER_NAME, CONTROLLER_NAMESPACE, kubectl } from "./harness";
import { chartSpec, renderPng } from "./lib/chart";
import { undoAll } from "./lib/cleanup";
import { sandbox, type Sandbox } from "./lib/cluster";
import { makePlan, PARTS, planSteps, type ConvergeStep, type Part, type Plan } from "./lib/plan";
import { loadAverage } from "./lib/procs";
import { Progress } from "./lib/progress";
import { fullReport, mergeResults } from "./lib/report";
import type { BenchResults, ConvergeCase, ConvergeRun } from "./lib/results";
import { runFloor } from "./parts/floor";
import { runNaive } from "./parts/naive";
import { runEconomy } from "./parts/economy";
import { runPreview } from "./parts/preview";
import { runReaction } from "./parts/reaction";
import { pulumiStack, viaController, viaPulumi, type PulumiNetworks } from "./parts/regnet";

const say = (s: string) => process.stderr.write(`${s}\n`);
const CONVERGE_TIMEOUT_MS = 600_000;
const OUT_DIR = path.join(repoRoot, ".regnet", "bench");

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      parts: { type: "string" },
      impl: { type: "string" },
      nodes: { type: "string" },
      report: { type: "string" },
    },
  });
  const list = (v: string | undefined) =>
    v
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const parts = list(values.parts);
  const bad = parts?.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (bad?.length) throw new Error(`--parts: unknown ${bad.join(", ")}; choose from ${PARTS.join(", ")}`);
  const impls = list(values.impl);
  if (impls?.some((i) => i !== "btcd" && i !== "bitcoin-core")) throw new Error("--impl: btcd and/or bitcoin-core");
  const nodes = list(values.nodes)?.map(Number);
  if (nodes?.some((n) => !Number.isInteger(n) || n < 1 || n > 100)) throw new Error("--nodes: whole numbers from 1 to 100, e.g. 5,20");
  return {
    report: values.report,
    plan: makePlan({
      quick: values.quick,
      runs: values.runs === undefined ? undefined : Number(values.runs),
      parts: parts as Part[] | undefined,
      impls: impls as Implementation[] | undefined,
      nodes,
    }),
  };
}

/** Writes the JSON (every step, so an interrupted run keeps what it measured) and, at the end, the chart. */
function save(results: BenchResults, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
}

async function writeOutputs(results: BenchResults, jsonFile: string): Promise<string> {
  save(results, jsonFile);
  const png = jsonFile.replace(/\.json$/, ".png");
  fs.writeFileSync(png, await renderPng(chartSpec(results)));
  fs.copyFileSync(jsonFile, path.join(path.dirname(jsonFile), "latest.json"));
  fs.copyFileSync(png, path.join(path.dirname(jsonFile), "latest.png"));
  return png;
}

async function ensureController(): Promise<void> {
  await applyPlatform({ controller: true });
  await kubectl(["scale", "deployment", CONTROLLER_NAME, "-n", CONTROLLER_NAMESPACE, "--replicas=1"]);
  // In the sandbox the controller's image runs this checkout's dist/: restarted, it runs this build.
  await kubectl(["rollout", "restart", `deployment/${CONTROLLER_NAME}`, "-n", CONTROLLER_NAMESPACE]);
  await kubectl(["rollout", "status", `deployment/${CONTROLLER_NAME}`, "-n", CONTROLLER_NAMESPACE, "--timeout=240s"], 250_000);
}

/** The gist of an error: a Pulumi CommandError carries the whole CLI output; its `error:` lines say it. */
export function shortError(err: unknown): string {
  const text = messageOf(err);
  const lines = [
    ...new Set(
      text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^error: /.test(l) && !/update failed/.test(l)),
    ),
  ];
  return (lines.length ? lines.slice(0, 2).join(" / ") : text).slice(0, 600);
}

const shortImpl = (i: Implementation) => (i === "btcd" ? "btcd" : "core");

async function convergeRun(
  sb: Sandbox,
  ns: string,
  step: ConvergeStep,
  run: number,
  stacks: Map<string, PulumiNetworks>,
): Promise<ConvergeRun> {
  const name = `${step.strategy.slice(0, 4)}-${shortImpl(step.impl)}-${step.nodes}-${run}`;
  const c = { impl: step.impl, nodes: step.nodes, topology: { type: "ring" as const } };
  switch (step.strategy) {
    case "floor":
      return runFloor({ implementation: step.impl, nodes: step.nodes, slot: sb.inst.slot, timeoutMs: CONVERGE_TIMEOUT_MS });
    case "controller":
      return viaController(sb, ns, name, c, CONVERGE_TIMEOUT_MS);
    case "naive":
      return runNaive(sb, ns, name, step.impl, step.nodes, CONVERGE_TIMEOUT_MS);
    case "pulumi": {
      const key = `${step.impl}-${step.nodes}`;
      let p = stacks.get(key);
      if (!p) stacks.set(key, (p = await pulumiStack(ns, `${ns}-${key}`, "net", CONVERGE_TIMEOUT_MS)));
      return viaPulumi(sb, p, ns, "net", c);
    }
  }
}

async function runPlan(plan: Plan, results: BenchResults, jsonFile: string, sb: Sandbox, ns: string): Promise<void> {
  const progress = new Progress(planSteps(plan));
  const fail = (part: string, err: unknown) => {
    results.failures.push({ part, error: shortError(err) });
    progress.note(`FAILED ${part}: ${shortError(err)}`);
  };
  const secs = (ms: number | undefined) => (ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`);
  for (const step of plan.converge) {
    const label = `${step.strategy} ${step.impl} N=${step.nodes}`;
    const c: ConvergeCase = {
      strategy: step.strategy,
      impl: step.impl,
      nodes: step.nodes,
      topology: step.strategy === "naive" ? "mesh" : "ring",
      runs: [],
    };
    results.converge.push(c);
    const stacks = new Map<string, PulumiNetworks>();
    try {
      for (let run = 1; run <= step.runs; run++) {
        progress.note(`${label} run ${run}/${step.runs} ...`);
        const r = await convergeRun(sb, ns, step, run, stacks);
        c.runs.push(r);
        save(results, jsonFile);
        progress.step(
          `${label} run ${run}/${step.runs}: answering/ready ${secs(r.answeringMs)}, wired ${secs(r.wiredMs)}, synced ${secs(r.syncedMs)}, teardown ${secs(r.teardownMs)}` +
            `${r.nodeRssMiB ? `, ${r.nodeRssMiB.toFixed(1)} MiB/node` : ""} (load ${r.load[0]})`,
        );
      }
    } catch (err) {
      fail(label, err);
      progress.grow(-(step.runs - c.runs.length));
    } finally {
      for (const p of stacks.values()) await p.close();
    }
  }
  for (const e of plan.economy) {
    const label = `economy ${e.impl} ${e.nodes} ${e.topology.type} +${e.added}`;
    try {
      progress.note(`${label} ...`);
      const r = await runEconomy(sb, ns, `econ-${shortImpl(e.impl)}-${e.nodes}-${e.topology.type}`, {
        ...e,
        timeoutMs: CONVERGE_TIMEOUT_MS,
      });
      results.economy.push(r);
      save(results, jsonFile);
      progress.step(
        `${label}: ${r.steps.map((s) => `${s.step} RPC ${s.rpcReads}r/${s.rpcWrites}w API ${s.api.reads}r/${s.api.writes}w`).join("; ")}`,
      );
    } catch (err) {
      fail(label, err);
    }
  }
  if (plan.preview) {
    try {
      results.preview = await runPreview(sb, ns, plan.preview.impl, plan.preview.runs, CONVERGE_TIMEOUT_MS, (l) => progress.note(l));
      save(results, jsonFile);
      progress.step("preview done");
    } catch (err) {
      fail("preview", err);
    }
  }
  if (plan.reaction) {
    try {
      results.reaction = await runReaction(sb, ns, plan.reaction, (l) => progress.note(l));
      save(results, jsonFile);
      progress.step("controller reaction done");
    } catch (err) {
      fail("reaction", err);
    }
  }
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.report) {
    const files = opts.report.split(",");
    const results = mergeResults(files.map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as BenchResults));
    const png = files.at(-1)!.replace(/\.json$/, files.length > 1 ? "-merged.png" : ".png");
    fs.writeFileSync(png, await renderPng(chartSpec(results)));
    console.log(fullReport(results, png));
    return 0;
  }
  Object.assign(process.env, toolchainEnv(process.env));
  const started = Date.now();
  const stamp = new Date(started).toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const jsonFile = path.join(OUT_DIR, `bench-${stamp}.json`);
  let broughtUp = false;
  if (!(await isUp())) {
    say("bench: the sandbox is not up; bringing it up (and down again at the end) ...");
    await up(say);
    broughtUp = true;
  }
  const sb = sandbox();
  const ns = `bench-${Date.now().toString(36)}`;
  const results: BenchResults = {
    version: 1,
    startedAt: new Date(started).toISOString(),
    quick: opts.plan.quick,
    machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, sandbox: sb.inst.name },
    loadBefore: loadAverage(),
    converge: [],
    economy: [],
    failures: [],
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say("bench: interrupted; cleaning up ...");
    void undoAll(say)
      .then(() => sb.core.deleteNamespace({ name: ns }).catch(() => undefined))
      .then(() => (broughtUp ? down(say) : undefined))
      .finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    say(`bench: ${planSteps(opts.plan)} steps${opts.plan.quick ? " (--quick)" : ""}; namespace ${ns}; results ${jsonFile}`);
    if (opts.plan.converge.some((c) => c.strategy === "controller") || opts.plan.reaction) {
      say("bench: applying charts-out/ (CRD, RBAC, the controller Deployment) ...");
      await ensureController();
    } else {
      await applyPlatform({ controller: false });
    }
    await sb.core.createNamespace({ body: { metadata: { name: ns, labels: { "regnet.dev/bench": "true" } } } });
    await runPlan(opts.plan, results, jsonFile, sb, ns);
  } finally {
    await undoAll(say);
    await sb.core.deleteNamespace({ name: ns }).catch(() => undefined);
    results.finishedAt = new Date().toISOString();
    results.durationS = Math.round((Date.now() - started) / 1000);
    results.loadAfter = loadAverage();
    const png = await writeOutputs(results, jsonFile);
    console.log(fullReport(results, path.relative(process.cwd(), png)));
    console.log(`json: ${path.relative(process.cwd(), jsonFile)}`);
    if (broughtUp) await down(say).catch((err: unknown) => say(`sandbox down failed: ${messageOf(err)}`));
  }
  return results.failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench failed: ${messageOf(err)}`);
    process.exit(1);
  },
);
