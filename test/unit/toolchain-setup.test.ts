// `npm run setup` in a throwaway cache: a pinned tool already on PATH is linked in, not rebuilt; a
// second run leaves it alone; a failing build names the tool and the step and shows the log's tail;
// the prebuilt tools are installed from the real ../shared/toolchain, without Go. The real binaries
// come from the developer's toolchain cache, which `npm run setup` filled.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PREBUILT, TOOLS, prebuiltRoot, repoRoot, toolBinDir, toolPath, toolchainEnv } from "../../sandbox/toolchain/paths";
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
  const r = setup({ XDG_CACHE_HOME: tmp(), GOMODCACHE: tmp(), GOPROXY: "off", PATH: `${pathDir}:${process.env.PATH}` }, "kwok");
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
  assert.deepEqual(dirs.slice(0, 7), [
    "/c/regnet/toolchain/pulumi-3.259.0/bin",
    "/c/regnet/toolchain/kubernetes-1.35.4/bin",
    "/c/regnet/toolchain/etcd-3.6.5/bin",
    "/c/regnet/toolchain/kwok-0.8.0/bin",
    "/c/regnet/toolchain/btcd-0.26.2/bin",
    "/c/regnet/toolchain/bitcoin-core-29.99.0/bin",
    "/c/regnet/toolchain/pulumi-language-nodejs-3.259.0/bin",
  ]);
  assert.equal(dirs[7], path.join(repoRoot, "node_modules", ".bin"));
  assert.ok(fs.existsSync(path.join(dirs[8], "pulumi-resource-pulumi-nodejs")), "the dynamic-provider plugin's folder");
  assert.deepEqual(dirs.slice(9), ["/usr/bin", "/bin"]);
  assert.equal(env.PULUMI_SKIP_UPDATE_CHECK, "1");
  assert.equal(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
  assert.deepEqual(toolchainEnv(env).PATH, env.PATH, "applying it twice changes nothing");
});

// The prebuilt tools, from the real folder of upstream builds (../shared/toolchain beside the checkout).
const shared = prebuiltRoot({});
const noShared = !fs.existsSync(shared) && `no prebuilt builds in ${shared} (a user's machine)`;

/** PATH without Go and without any installed Bitcoin Core or language host (else setup links those in). */
function pathWithout(names: string[]): string {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => !names.some((n) => fs.existsSync(path.join(d, n))))
    .join(path.delimiter);
}
const PREBUILT_TOOLS = Object.keys(PREBUILT);
const noGoPath = pathWithout(["go", "bitcoind", "bitcoin-cli", "pulumi-language-nodejs"]);

test(
  "the prebuilt tools install from ../shared/toolchain without Go, work at the pinned versions, and a second run keeps them",
  { skip: noShared },
  () => {
    const { REGNET_PREBUILT_DIR: _, ...base } = process.env;
    const xdg = tmp();
    const env = { ...base, XDG_CACHE_HOME: xdg, PATH: noGoPath };
    const bin = (tool: "bitcoin-core" | "pulumi-language-nodejs", b: string) => path.join(toolBinDir(tool, { XDG_CACHE_HOME: xdg }), b);

    const first = setup(env, ...PREBUILT_TOOLS);
    assert.equal(first.code, 0, first.out);
    assert.ok(first.out.includes(`  bitcoin-core: copy bitcoind, bitcoin-cli from ${shared}/bitcoin-core-29.99.0/bin ...`), first.out);
    assert.ok(
      first.out.includes(
        `  pulumi-language-nodejs: gunzip pulumi-language-nodejs.gz from ${shared}/pulumi-language-nodejs-3.259.0/bin ...`,
      ),
      first.out,
    );
    assert.match(first.out, /^bitcoin-core\s+v29\.99\.0\s+installed \(prebuilt\)/m);
    assert.match(first.out, /^pulumi-language-nodejs\s+v3\.259\.0\s+installed \(prebuilt\)/m);
    const run = (file: string) => spawnSync(file, ["-version"], { encoding: "utf8" }).stdout;
    assert.match(run(bin("bitcoin-core", "bitcoind")), /^Bitcoin Core daemon version v29\.99\.0-g[0-9a-f]+\n/);
    assert.match(run(bin("bitcoin-core", "bitcoin-cli")), /^Bitcoin Core RPC client version v29\.99\.0-g[0-9a-f]+\n/);
    assert.equal(run(bin("pulumi-language-nodejs", "pulumi-language-nodejs")).trim(), "v3.259.0");
    const stamp = (f: string) => [fs.statSync(f).ino, fs.statSync(f).mtimeMs];
    const files = [
      bin("bitcoin-core", "bitcoind"),
      bin("bitcoin-core", "bitcoin-cli"),
      bin("pulumi-language-nodejs", "pulumi-language-nodejs"),
    ];
    const before = files.map(stamp);

    const second = setup(env, ...PREBUILT_TOOLS);
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /^bitcoin-core\s+v29\.99\.0\s+ok \(cached\)/m);
    assert.match(second.out, /^pulumi-language-nodejs\s+v3\.259\.0\s+ok \(cached\)/m);
    assert.deepEqual(files.map(stamp), before, "the binaries are left as they were");
  },
);

test("without the prebuilt folder setup says in one line what needs it and where it looked, and goes on", () => {
  const xdg = tmp();
  const empty = tmp();
  const r = setup({ XDG_CACHE_HOME: xdg, REGNET_PREBUILT_DIR: empty, PATH: noGoPath }, ...PREBUILT_TOOLS);
  assert.equal(r.code, 0, r.out);
  const mentions = r.out.split("\n").filter((l) => /bitcoin-core|pulumi-language-nodejs/.test(l));
  assert.equal(mentions.length, 1, r.out);
  assert.ok(
    mentions[0].startsWith(
      `bitcoin-core, pulumi-language-nodejs: not installed, no bitcoin-core-29.99.0, pulumi-language-nodejs-3.259.0 in ${empty} `,
    ),
    r.out,
  );
  assert.ok(mentions[0].includes("Bitcoin Core nodes and the Pulumi directory program (`pulumi up` in the project dir) need them"), r.out);
  assert.match(r.out, /^regnet setup: done in /m);
  assert.ok(!fs.existsSync(toolBinDir("bitcoin-core", { XDG_CACHE_HOME: xdg })), "nothing installed");
});

/** A prebuilt folder whose bitcoin-cli needs a library no machine has (its DT_NEEDED name changed). */
function prebuiltNeedingMissingLibrary(): string {
  const root = tmp();
  const dir = path.join(root, PREBUILT["bitcoin-core"]!, "bin");
  fs.mkdirSync(dir, { recursive: true });
  const real = path.join(shared, PREBUILT["bitcoin-core"]!, "bin");
  fs.symlinkSync(path.join(real, "bitcoind"), path.join(dir, "bitcoind"));
  const cli = fs.readFileSync(path.join(real, "bitcoin-cli"));
  const patched = Buffer.from(cli.toString("latin1").replace("libevent_extra-2.1.so.7", "libregnet_none-2.1.so.7"), "latin1");
  assert.notDeepEqual(patched, cli, "bitcoin-cli names libevent_extra-2.1.so.7");
  fs.writeFileSync(path.join(dir, "bitcoin-cli"), patched, { mode: 0o755 });
  for (const d of [root, path.dirname(dir), dir]) fs.chmodSync(d, 0o755);
  return root;
}

test(
  "a library ldd cannot find: as root, setup installs the Debian packages with apt-get and says so; still missing, the tool fails",
  { skip: noShared },
  () => {
    const r = setup({ XDG_CACHE_HOME: tmp(), REGNET_PREBUILT_DIR: prebuiltNeedingMissingLibrary(), PATH: noGoPath }, "bitcoin-core");
    assert.equal(r.code, 1, r.out);
    assert.ok(
      r.out.includes(
        "  bitcoin-core: libregnet_none-2.1.so.7 not found: installing Debian packages (apt-get install -y libevent-extra-2.1-7 libevent-pthreads-2.1-7) ...",
      ),
      r.out,
    );
    assert.match(
      r.out,
      /setup FAILED: bitcoin-core: shared libraries failed\nlibregnet_none-2\.1\.so\.7 still not found \(ldd\) after apt-get install/,
    );
  },
);

test("a library ldd cannot find, not root: the tool fails with the exact command to run", { skip: noShared }, () => {
  const xdg = tmp();
  fs.chmodSync(xdg, 0o777);
  // setpriv runs setup as nobody, with the same environment.
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, setupJs, "bitcoin-core"], {
    env: { ...process.env, XDG_CACHE_HOME: xdg, REGNET_PREBUILT_DIR: prebuiltNeedingMissingLibrary(), PATH: noGoPath },
    encoding: "utf8",
    timeout: 120_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 1, out);
  assert.ok(
    out.includes(
      "setup FAILED: bitcoin-core: shared libraries failed\nlibregnet_none-2.1.so.7 not found (ldd); run as root: apt-get update && apt-get install -y libevent-extra-2.1-7 libevent-pthreads-2.1-7",
    ),
    out,
  );
  assert.ok(!out.includes("installing Debian packages"), out);
});
