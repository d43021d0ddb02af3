// `npm run setup` in a throwaway cache: a pinned tool already on PATH is linked in, not rebuilt; a
// second run leaves it alone; a failing build names the tool and the step and shows the log's tail.
// The real binaries come from the developer's toolchain cache, which `npm run setup` filled.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TOOLS, repoRoot, toolBinDir, toolPath, toolchainEnv } from "../../sandbox/toolchain/paths";
import { tempDirs } from "../support/tmp";

const setupJs = path.join(repoRoot, "dist", "sandbox", "toolchain", "setup.js");
const tmp = tempDirs("regnet-setup-");

function setup(env: NodeJS.ProcessEnv, ...tools: string[]) {
  const r = spawnSync(process.execPath, [setupJs, ...tools], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test("a pinned tool found on PATH is used as it is, and a second run keeps it", () => {
  const pathDir = tmp();
  for (const b of TOOLS.btcd.binaries) fs.symlinkSync(toolPath(b), path.join(pathDir, b));
  const xdg = tmp();
  const env = { XDG_CACHE_HOME: xdg, PATH: `${pathDir}:${process.env.PATH}` };

  const first = setup(env, "btcd");
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /^btcd\s+v0\.26\.2\s+ok \(found on PATH\)/m);
  const bin = toolBinDir("btcd", { XDG_CACHE_HOME: xdg });
  for (const b of TOOLS.btcd.binaries) {
    assert.equal(fs.realpathSync(path.join(bin, b)), fs.realpathSync(toolPath(b)), `${b} links to the binary on PATH`);
  }

  const second = setup(env, "btcd");
  assert.equal(second.code, 0, second.out);
  assert.match(second.out, /^btcd\s+v0\.26\.2\s+ok \(cached\)/m);
  assert.match(second.out, /^node\s+v2\d\.\S+\s+ok/m, "the Node check is one line too");
});

test("a tool on PATH at another version is not used: setup builds the pinned one (and says which step failed)", () => {
  const pathDir = tmp();
  // btcctl under the names kwok and kwokctl does not report kwok v0.8.0: setup builds, offline here, and fails.
  for (const b of TOOLS.kwok.binaries) fs.symlinkSync(toolPath("btcctl"), path.join(pathDir, b));
  const r = setup(
    { XDG_CACHE_HOME: tmp(), GOMODCACHE: tmp(), GOPROXY: "off", PATH: `${pathDir}:${process.env.PATH}` },
    "kwok",
  );
  assert.equal(r.code, 1);
  assert.match(r.out, /setup FAILED: kwok: go install sigs\.k8s\.io\/kwok\/cmd\/kwok@v0\.8\.0 failed/);
  assert.match(r.out, /last lines of .*kwok-0\.8\.0\/build\.log/);
  assert.match(r.out, /module lookup disabled by GOPROXY=off/, "the log's tail holds Go's own error");
});

test("unknown tool names are refused, naming the known ones", () => {
  const r = setup({ XDG_CACHE_HOME: tmp() }, "kubelet");
  assert.equal(r.code, 1);
  assert.match(r.out, /unknown tool\(s\) kubelet; known: pulumi, kubernetes, etcd, kwok, btcd/);
});

test("toolchainEnv: every tool's bin, Node 22 and the Pulumi plugin first on PATH; Pulumi stays offline", () => {
  const env = toolchainEnv({ PATH: "/usr/bin:/bin", XDG_CACHE_HOME: "/c" });
  const dirs = env.PATH!.split(":");
  assert.deepEqual(dirs.slice(0, 5), [
    "/c/regnet/toolchain/pulumi-3.259.0/bin",
    "/c/regnet/toolchain/kubernetes-1.35.4/bin",
    "/c/regnet/toolchain/etcd-3.6.5/bin",
    "/c/regnet/toolchain/kwok-0.8.0/bin",
    "/c/regnet/toolchain/btcd-0.26.2/bin",
  ]);
  assert.equal(dirs[5], path.join(repoRoot, "node_modules", ".bin"));
  assert.ok(fs.existsSync(path.join(dirs[6], "pulumi-resource-pulumi-nodejs")), "the dynamic-provider plugin's folder");
  assert.deepEqual(dirs.slice(7), ["/usr/bin", "/bin"]);
  assert.equal(env.PULUMI_SKIP_UPDATE_CHECK, "1");
  assert.equal(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
  assert.deepEqual(toolchainEnv(env).PATH, env.PATH, "applying it twice changes nothing");
});
