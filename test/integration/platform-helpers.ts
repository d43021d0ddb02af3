// Shared by the platform integration tests: kubectl on the sandbox, the committed charts-out/ as
// objects, and applying the platform for real.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { toolPath } from "../../sandbox/toolchain/paths";
import { repoRoot, sandboxKubeconfig } from "../support/cluster";
import { CHARTS_DIR, EXAMPLES_DIR, PLATFORM_FILES } from "../../infra/cdk8s/defaults";

export const chartsOut = path.join(repoRoot, CHARTS_DIR);
/** The example networks: a separate step, in a subfolder `kubectl apply -f charts-out/` skips. */
export const examplesDir = path.join(chartsOut, EXAMPLES_DIR);
const CRD_NAME = "bitcoinnetworks.regnet.dev";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the pinned kubectl against the sandbox; throws (with its output) unless `allowFail`. */
export function kubectl(args: string[], opts: { input?: string; allowFail?: boolean } = {}): KubectlResult {
  const kubeconfig = process.env.KUBECONFIG ?? sandboxKubeconfig;
  const r = spawnSync(toolPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], { input: opts.input, encoding: "utf8" });
  if (r.error) throw r.error;
  const result = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (result.code !== 0 && !opts.allowFail) {
    throw new Error(`kubectl ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result;
}

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

/** Every object of one charts-out file (a path relative to charts-out/). */
export function chartObjects(file: string): Manifest[] {
  return parseAllDocuments(fs.readFileSync(path.join(chartsOut, file), "utf8")).map((d) => d.toJS() as Manifest);
}

/** The files `kubectl apply -f charts-out/` applies. */
export function chartFiles(): string[] {
  return fs
    .readdirSync(chartsOut)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
}

export function exampleFiles(): string[] {
  return fs
    .readdirSync(examplesDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => path.join(EXAMPLES_DIR, f));
}

export function toYaml(objects: Manifest[]): string {
  return objects.map((o) => stringify(o)).join("---\n");
}

/**
 * Server-side applies the platform for real — every object of its charts except the controller
 * Deployment (see platform-apply.test.ts for why that one is applied as a server dry run) — and
 * waits until the CRD is established.
 */
export function applyPlatform(): KubectlResult {
  const objects = PLATFORM_FILES.flatMap(chartObjects).filter((o) => o.kind !== "Deployment");
  // Forced: other tests apply the same charts under their own field manager (bench/harness.ts);
  // what matters here is that the cluster holds what charts-out/ says.
  const r = kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], { input: toYaml(objects) });
  kubectl(["wait", "--for=condition=Established", `crd/${CRD_NAME}`, "--timeout=60s"]);
  return r;
}
