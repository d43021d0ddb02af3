// `npm test [unit|integration|e2e ...]`: runs the compiled test files of each chosen layer (all three
// by default) with Node's test runner and the toolchain on PATH. Integration and e2e need the
// sandbox: it is brought up if it is not, and down again at the end only if this run brought it up
// (unless KUBECONFIG names another cluster: then they run there).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { down, isUp, up } from "../sandbox/cluster/cluster";
import { currentInstance } from "../sandbox/cluster/instance";
import { repoRoot, toolchainEnv } from "../sandbox/toolchain/paths";

const LAYERS = ["unit", "integration", "e2e"] as const;
type Layer = (typeof LAYERS)[number];

/** Per layer: how many files run at once, and how long one test may take. */
const LAYER_OPTS: Record<Layer, { concurrency: number; timeout: number }> = {
  unit: { concurrency: os.availableParallelism(), timeout: 60_000 },
  integration: { concurrency: 2, timeout: 5 * 60_000 },
  e2e: { concurrency: 2, timeout: 15 * 60_000 },
};

/** Compiled test files whose source still exists (dist/ may hold tests that were deleted or renamed). */
function testFiles(layer: Layer): string[] {
  const srcDir = path.join(repoRoot, "test", layer);
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".test.ts")) found.push(path.relative(srcDir, p));
    }
  };
  walk(srcDir);
  return found.sort().map((rel) => path.join(repoRoot, "dist", "test", layer, rel.replace(/\.ts$/, ".js")));
}

interface Outcome {
  layer: Layer;
  files: number;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

async function runLayer(layer: Layer): Promise<Outcome> {
  const files = testFiles(layer);
  const started = Date.now();
  const outcome: Outcome = { layer, files: files.length, passed: 0, failed: 0, skipped: 0, seconds: 0 };
  console.log(`\n=== ${layer}: ${files.length} file(s)`);
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) {
    console.log(`not compiled: ${missing.join(", ")} (did tsc run?)`);
    outcome.failed += missing.length;
  }
  const present = files.filter((f) => fs.existsSync(f));
  if (present.length) {
    const stream = run({ files: present, ...LAYER_OPTS[layer] });
    stream.on("test:pass", (t) => {
      if (t.details.type === "suite") return;
      if (t.skip || t.todo) outcome.skipped++;
      else outcome.passed++;
    });
    stream.on("test:fail", (t) => {
      if (t.details.type !== "suite") outcome.failed++;
    });
    await new Promise<void>((resolve, reject) => {
      const out = stream.compose(spec);
      out.on("data", (chunk) => process.stdout.write(chunk));
      out.on("end", resolve);
      out.on("error", reject);
    });
  }
  outcome.seconds = (Date.now() - started) / 1000;
  return outcome;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const bad = args.filter((a) => !(LAYERS as readonly string[]).includes(a));
  if (bad.length) {
    console.error(`unknown test layer(s) ${bad.join(", ")}; usage: npm test [-- ${LAYERS.join("|")} ...]`);
    return 2;
  }
  const layers = LAYERS.filter((l) => !args.length || args.includes(l));
  Object.assign(process.env, toolchainEnv(process.env));

  // KUBECONFIG naming another cluster: the tests run there, and the sandbox is left alone.
  const kubeconfig = process.env.KUBECONFIG;
  const otherCluster = kubeconfig !== undefined && path.resolve(kubeconfig) !== currentInstance().kubeconfig;
  if (otherCluster && layers.some((l) => l !== "unit")) console.log(`cluster: KUBECONFIG=${kubeconfig} (not the sandbox)`);

  let broughtUp = false;
  const say = (line: string) => console.log(line);
  const outcomes: Outcome[] = [];
  try {
    for (const layer of layers) {
      if (layer !== "unit" && !otherCluster && !broughtUp && !(await isUp())) {
        await up(say);
        broughtUp = true;
      }
      outcomes.push(await runLayer(layer));
    }
  } finally {
    if (broughtUp) await down(say).catch((err: Error) => console.error(`sandbox down failed: ${err.message}`));
  }

  console.log("\n=== summary");
  let ok = true;
  for (const o of outcomes) {
    // A layer with no tests is a gap in the suite, not a pass.
    const verdict = o.failed ? "FAIL" : o.files === 0 ? "EMPTY" : "ok";
    if (verdict !== "ok") ok = false;
    console.log(
      `${o.layer.padEnd(12)} ${verdict.padEnd(6)} files ${String(o.files).padStart(3)}  passed ${String(o.passed).padStart(4)}` +
        `  failed ${String(o.failed).padStart(3)}  skipped ${String(o.skipped).padStart(3)}  ${o.seconds.toFixed(1)}s`,
    );
  }
  const total = (k: "passed" | "failed" | "skipped") => outcomes.reduce((n, o) => n + o[k], 0);
  console.log(`total: ${total("passed")} passed, ${total("failed")} failed, ${total("skipped")} skipped`);
  return ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`test run FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
