// `npm test [unit|integration|e2e ...]`: runs the compiled test files of each chosen layer (all three
// by default) with Node's test runner and the toolchain on PATH. Integration and e2e need the
// sandbox: it is brought up if it is not, and down again at the end only if this run brought it up
// (unless KUBECONFIG names another cluster: then they run there). With CI set, a skipped test fails
// the run (test/outcome.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { down, isUp, up } from "../sandbox/cluster/cluster";
import { currentInstance } from "../sandbox/cluster/instance";
import { repoRoot, toolchainEnv } from "../sandbox/toolchain/paths";
import { type Outcome, runFiles, verdict } from "./outcome";

const LAYERS = ["unit", "integration", "e2e"] as const;
type Layer = (typeof LAYERS)[number];

/**
 * Per layer: how many files run at once, and how long one test *file* may take (node:test applies
 * `timeout` to each file's process). It is a guard against hangs, not a speed check: the bad-input
 * battery alone runs about 40 real Pulumi previews and ups, each in a process of its own (10 min
 * at load 3–10, with two CI runs beside it).
 */
const LAYER_OPTS: Record<Layer, { concurrency: number; timeout: number }> = {
  unit: { concurrency: os.availableParallelism(), timeout: 60_000 },
  integration: { concurrency: 2, timeout: 25 * 60_000 },
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

async function runLayer(layer: Layer): Promise<Outcome> {
  const files = testFiles(layer);
  console.log(`\n=== ${layer}: ${files.length} file(s)`);
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) console.log(`not compiled: ${missing.join(", ")} (did tsc run?)`);
  const outcome = await runFiles(
    layer,
    files.filter((f) => fs.existsSync(f)),
    LAYER_OPTS[layer],
  );
  return { ...outcome, files: files.length, failed: outcome.failed + missing.length };
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
  const { lines, ok } = verdict(outcomes, process.env);
  for (const line of lines) console.log(line);
  return ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`test run FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
