// The README's Kubernetes-native install, command for command, on a FRESH cluster (a second,
// independent sandbox instance: no CRD yet, unlike the suite's shared sandbox): it must work the
// first time, and the example networks it installs are then accepted by the API server.
import { after, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { currentInstance } from "../../sandbox/cluster/instance";
import { repoRoot, toolPath } from "../../sandbox/toolchain/paths";

/** What README.md documents under "Using another cluster" → Kubernetes-native, in order. */
const DOCUMENTED = [
  "kubectl apply -f charts-out/",
  "kubectl wait --for condition=established crd/bitcoinnetworks.regnet.dev",
  "kubectl apply -f charts-out/examples/",
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-fresh-"));
// KUBECONFIG names this instance's own file: kwokctl edits $KUBECONFIG (deleting a cluster removes
// its `kwok-regnet` entries from it), and the caller's may be the suite's sandbox.
const env = { ...process.env, REGNET_SANDBOX: `fresh-${process.pid}`, REGNET_SANDBOX_DIR: dir, KUBECONFIG: path.join(dir, "kubeconfig") };

function sandbox(cmd: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "dist", "sandbox", "cli.js"), cmd], {
    env,
    encoding: "utf8",
    timeout: 240_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A documented command as a user runs it from the project root, against the fresh sandbox. */
function run(command: string): { code: number; out: string } {
  const [tool, ...args] = command.split(" ");
  assert.equal(tool, "kubectl");
  const r = spawnSync(toolPath("kubectl"), ["--kubeconfig", currentInstance(env).kubeconfig, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

after(() => {
  if (fs.existsSync(path.join(dir, "instance.json"))) sandbox("down");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the README's kubectl commands install the platform on a fresh cluster, and the example networks are accepted", () => {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  for (const c of DOCUMENTED) assert.ok(readme.includes(c), `README.md documents \`${c}\``);

  const up = sandbox("up");
  assert.equal(up.code, 0, `sandbox up failed:\n${up.out}`);
  assert.notEqual(run("kubectl get crd bitcoinnetworks.regnet.dev").code, 0, "a fresh cluster: no BitcoinNetwork CRD yet");

  for (const c of DOCUMENTED) {
    const r = run(c);
    console.log(`$ ${c}\n${r.out.trim()}`);
    assert.equal(r.code, 0, `\`${c}\` failed on a fresh cluster:\n${r.out}`);
  }
  const nets = run("kubectl get bitcoinnetworks -n regnet-examples -o name");
  assert.equal(nets.code, 0, nets.out);
  assert.deepEqual(nets.out.trim().split("\n").sort(), ["bitcoinnetwork.regnet.dev/btcd-ring", "bitcoinnetwork.regnet.dev/core-mesh"]);
});
