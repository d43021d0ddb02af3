// charts-out/ and the typed imports are generated files that are committed: they must be exactly
// what `cdk8s synth` and `cdk8s import` produce from the current sources, or GitOps would apply
// something other than what the code says.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { CHARTS_DIR, PLATFORM_FILES } from "../../infra/cdk8s/defaults";

const chartsOut = path.join(repoRoot, CHARTS_DIR);
const importsDir = path.join(repoRoot, "infra", "cdk8s", "imports");

function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function assertSameFiles(fresh: string, committed: string, fix: string): void {
  // Files in subfolders too (charts-out/examples/), as relative paths.
  const list = (d: string) =>
    (fs.readdirSync(d, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(d, f)).isFile()).sort();
  assert.deepEqual(list(committed), list(fresh), `${path.relative(repoRoot, committed)}/ has other files than a fresh run makes: ${fix}`);
  for (const f of list(fresh)) {
    const want = fs.readFileSync(path.join(fresh, f), "utf8");
    const have = fs.readFileSync(path.join(committed, f), "utf8");
    assert.ok(have === want, `${path.relative(repoRoot, path.join(committed, f))} differs from a fresh run: ${fix}`);
  }
}

test("charts-out/ equals what cdk8s synth produces", (t) => {
  const out = tempDir(t, "regnet-synth-");
  // What `cdk8s synth` runs after compiling (cdk8s.yaml `app`): the compiled app, CDK8S_OUTDIR set.
  execFileSync(process.execPath, [path.join(repoRoot, "dist", "infra", "cdk8s", "main.js")], {
    cwd: repoRoot,
    env: { ...process.env, CDK8S_OUTDIR: out },
    stdio: ["ignore", "ignore", "inherit"],
  });
  assert.ok(fs.readdirSync(out).length >= 2, "the app wrote the platform charts");
  assert.ok(fs.readdirSync(path.join(out, "examples")).length >= 1, "and the example networks, in examples/");
  assertSameFiles(out, chartsOut, "run `npm run synth` and commit charts-out/");
});

test("infra/cdk8s/imports equals what cdk8s import makes from the synthesized CRD", (t) => {
  const out = tempDir(t, "regnet-import-");
  execFileSync(
    path.join(repoRoot, "node_modules", ".bin", "cdk8s"),
    ["import", "--language", "typescript", "--output", out, path.join(chartsOut, PLATFORM_FILES[0])],
    // stderr is piped (in the error if it fails): the CLI's npm version check is noisy offline.
    { cwd: out, stdio: "pipe", env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } },
  );
  assertSameFiles(out, importsDir, "run `npx cdk8s import` (after `npm run synth`) and commit infra/cdk8s/imports/");
});
