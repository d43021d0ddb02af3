// `npm run setup`: installs the pinned toolchain (versions.json) into the per-user cache.
// Most tools are Go builds from the Go module proxy in a scratch module under their cache dir (no
// release downloads: only package registries are reachable). The two no registry serves (PREBUILT)
// are copied from upstream builds in prebuiltRoot(), when that folder is there. Idempotent: a tool
// whose binaries exist and report the pinned version is left alone, so a second run takes seconds.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { withPidLock } from "../cluster/procs";
import {
  NODE_MAJOR,
  PREBUILT,
  TOOLS,
  type ToolName,
  prebuiltRoot,
  pulumiNodejsPluginDir,
  toolBinDir,
  toolDir,
  toolchainRoot,
} from "./paths";
import { messageOf } from "../../provider/errors";

interface Step {
  name: string;
  run: (ctx: BuildContext) => Promise<void>;
}

interface BuildContext {
  tool: ToolName;
  src: string; // scratch module dir (prebuilt tools: the tool's dir), where commands run
  out: string; // staging bin dir, renamed to bin/ once verified
  log: string; // build log file
}

class StepError extends Error {
  constructor(
    readonly tool: string,
    readonly step: string,
    readonly detail: string,
  ) {
    super(`${tool}: ${step} failed${detail ? `\n${detail}` : ""}`);
  }
}

const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOFLAGS: "-mod=mod" });

/** Runs a command, appending its output to the tool's build log; fails with the log's tail. */
function run(ctx: BuildContext, step: string, cmd: string, args: string[], env = goEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    fs.appendFileSync(ctx.log, `\n$ ${cmd} ${args.join(" ")}   (cwd ${ctx.src})\n`);
    const child = spawn(cmd, args, { cwd: ctx.src, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      fs.appendFileSync(ctx.log, d);
    });
    child.stderr.on("data", (d: Buffer) => fs.appendFileSync(ctx.log, d));
    // Go prints nothing while it compiles: say every minute that the step is still going.
    const started = Date.now();
    const heartbeat = setInterval(() => console.log(`  ${ctx.tool}: ${step} ... still running (${secs(started)})`), 60_000);
    child.on("error", (err) => {
      clearInterval(heartbeat);
      reject(new StepError(ctx.tool, step, `${cmd}: ${err.message}`));
    });
    child.on("close", (code) => {
      clearInterval(heartbeat);
      if (code === 0) return resolve(stdout);
      reject(new StepError(ctx.tool, step, `exit code ${code}; last lines of ${ctx.log}:\n${tail(ctx.log, 25)}`));
    });
  });
}

function tail(file: string, lines: number): string {
  try {
    return fs
      .readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join("\n");
  } catch {
    return "";
  }
}

const goModInit = (module: string): Step => ({
  name: "go mod init",
  run: async (ctx) => {
    if (!fs.existsSync(path.join(ctx.src, "go.mod"))) await run(ctx, "go mod init", "go", ["mod", "init", module]);
  },
});

const goGet = (...mods: string[]): Step => ({
  name: `go get ${mods[0]}`,
  run: async (ctx) => void (await run(ctx, `go get ${mods[0]}`, "go", ["get", ...mods])),
});

const goBuild = (binary: string, pkg: string, ldflags: string[] = []): Step => ({
  name: `go build ${binary}`,
  run: async (ctx) => {
    const args = ["build", "-o", path.join(ctx.out, binary)];
    if (ldflags.length) args.push("-ldflags", ldflags.join(" "));
    await run(ctx, `go build ${binary}`, "go", [...args, pkg]);
  },
});

const goInstall = (...pkgs: string[]): Step => ({
  name: `go install ${pkgs.map((p) => path.basename(p.split("@")[0])).join(" ")}`,
  run: async (ctx) => void (await run(ctx, `go install ${pkgs[0]}`, "go", ["install", ...pkgs], { ...goEnv(), GOBIN: ctx.out })),
});

/** k8s.io/kubernetes replaces its staging modules with ./staging paths; a scratch module must pin them. */
const kubernetesReplaces = (version: string): Step => ({
  name: "pin staging modules",
  run: async (ctx) => {
    const gomodFile = path.join(ctx.src, "go.mod");
    if (fs.readFileSync(gomodFile, "utf8").includes("replace ")) return;
    const info = JSON.parse(
      await run(ctx, "go mod download k8s.io/kubernetes", "go", ["mod", "download", "-json", `k8s.io/kubernetes@v${version}`]),
    ) as { GoMod?: string };
    if (!info.GoMod) throw new StepError(ctx.tool, "pin staging modules", "go mod download gave no go.mod path");
    const [, minor, patch] = version.split(".");
    const staging = [...fs.readFileSync(info.GoMod, "utf8").matchAll(/^\s*(k8s\.io\/[a-z0-9-]+)\s+=>\s+\.\/staging/gm)].map((m) => m[1]);
    if (staging.length < 20) {
      throw new StepError(ctx.tool, "pin staging modules", `found only ${staging.length} staging replaces in ${info.GoMod}`);
    }
    fs.appendFileSync(gomodFile, staging.map((m) => `replace ${m} => ${m} v0.${minor}.${patch}\n`).join(""));
  },
});

/** The folder of a prebuilt tool's upstream binaries. */
const prebuiltBin = (tool: ToolName): string => path.join(prebuiltRoot(), PREBUILT[tool]!, "bin");

/** What needs each prebuilt tool: said when it cannot be installed. */
const NEEDED_BY: Partial<Record<ToolName, string>> = {
  "bitcoin-core": "Bitcoin Core nodes",
  "pulumi-language-nodejs": "the Pulumi directory program (`pulumi up` in the project dir)",
};

const copyPrebuilt = (tool: ToolName): Step => ({
  name: `copy ${TOOLS[tool].binaries.join(", ")} from ${prebuiltBin(tool)}`,
  run: async (ctx) => {
    for (const b of TOOLS[tool].binaries) {
      const to = path.join(ctx.out, b);
      fs.copyFileSync(path.join(prebuiltBin(tool), b), to);
      fs.chmodSync(to, 0o755);
    }
  },
});

/** Prebuilt binaries stored gzip-compressed (`<binary>.gz`): unpacked with the run bit. */
const gunzipPrebuilt = (tool: ToolName): Step => ({
  name: `gunzip ${TOOLS[tool].binaries.map((b) => `${b}.gz`).join(", ")} from ${prebuiltBin(tool)}`,
  run: async (ctx) => {
    for (const b of TOOLS[tool].binaries) {
      const from = path.join(prebuiltBin(tool), `${b}.gz`);
      try {
        await pipeline(fs.createReadStream(from), zlib.createGunzip(), fs.createWriteStream(path.join(ctx.out, b), { mode: 0o755 }));
      } catch (err) {
        throw new StepError(tool, `gunzip ${from}`, (err as Error).message);
      }
    }
  },
});

/** Shared libraries that `ldd` cannot find for the staged binaries (logged to the build log). */
function missingLibraries(ctx: BuildContext): string[] {
  const missing = new Set<string>();
  for (const b of TOOLS[ctx.tool].binaries) {
    const r = spawnSync("ldd", [path.join(ctx.out, b)], { encoding: "utf8", timeout: 30_000 });
    if (r.error) throw new StepError(ctx.tool, "ldd", r.error.message);
    fs.appendFileSync(ctx.log, `\n$ ldd ${b}\n${r.stdout}${r.stderr}`);
    for (const m of r.stdout.matchAll(/^\s*(\S+) => not found/gm)) missing.add(m[1]);
  }
  return [...missing];
}

/**
 * Bitcoin Core links libevent's extra and pthreads libraries dynamically, which a fresh Debian lacks:
 * install the packages that hold them (we run as root here), or say exactly what to run.
 */
const debianRuntime = (packages: string[]): Step => ({
  name: "check shared libraries (ldd)",
  run: async (ctx) => {
    const missing = missingLibraries(ctx);
    if (!missing.length) return;
    const install = `apt-get install -y ${packages.join(" ")}`;
    const fix = `run as root: apt-get update && ${install}`;
    if (process.getuid?.() !== 0) throw new StepError(ctx.tool, "shared libraries", `${missing.join(", ")} not found (ldd); ${fix}`);
    console.log(`  ${ctx.tool}: ${missing.join(", ")} not found: installing Debian packages (${install}) ...`);
    const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const aptInstall = () =>
      run(ctx, "apt-get install", "apt-get", ["install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", ...packages], aptEnv);
    try {
      await aptInstall().catch(async () => {
        // A fresh image has no package lists yet: fetch them, then try once more.
        console.log(`  ${ctx.tool}: apt-get install failed; apt-get update and again ...`);
        await run(ctx, "apt-get update", "apt-get", ["update", "-q"], aptEnv);
        await aptInstall();
      });
    } catch (err) {
      throw new StepError(ctx.tool, "apt-get install", `${err instanceof StepError ? err.detail : String(err)}\n${fix}`);
    }
    const still = missingLibraries(ctx);
    if (still.length) throw new StepError(ctx.tool, "shared libraries", `${still.join(", ")} still not found (ldd) after ${install}`);
  },
});

/** How to build each tool, and how to tell a binary is the pinned version. */
function recipe(tool: ToolName): { steps: Step[]; versionOf: (bin: string, file: string) => boolean } {
  const v = TOOLS[tool].version;
  const goModVersion = (file: string, mod: string, version: string) =>
    new RegExp(`^\\s*(mod|dep)\\s+${mod.replace(/\./g, "\\.")}\\s+v${version.replace(/\./g, "\\.")}\\s`, "m").test(
      capture("go", ["version", "-m", file]),
    );
  switch (tool) {
    case "pulumi":
      return {
        steps: [
          goModInit("regnet-toolchain/pulumi"),
          goGet(`github.com/pulumi/pulumi/pkg/v3@v${v}`, `github.com/pulumi/pulumi/sdk/v3@v${v}`),
          goBuild("pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", [
            `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${v}`,
          ]),
        ],
        versionOf: (_bin, file) => capture(file, ["version"]).trim() === `v${v}`,
      };
    case "kubernetes": {
      const [major, minor] = v.split(".");
      const ld = [
        `-X k8s.io/component-base/version.gitVersion=v${v}`,
        `-X k8s.io/component-base/version.gitMajor=${major}`,
        `-X k8s.io/component-base/version.gitMinor=${minor}`,
        `-X k8s.io/component-base/version.gitTreeState=clean`,
      ];
      return {
        steps: [
          goModInit("regnet-toolchain/kubernetes"),
          kubernetesReplaces(v),
          // No `go mod tidy` first: with no Go files it drops the require and the build resolves the newest release.
          goGet(`k8s.io/kubernetes@v${v}`),
          ...TOOLS.kubernetes.binaries.map((b) => goBuild(b, `k8s.io/kubernetes/cmd/${b}`, ld)),
        ],
        versionOf: (bin, file) =>
          bin === "kubectl"
            ? capture(file, ["version", "--client"]).includes(`Client Version: v${v}`)
            : capture(file, ["--version"]).trim() === `Kubernetes v${v}`,
      };
    }
    case "etcd":
      return {
        steps: [
          goModInit("regnet-toolchain/etcd"),
          goGet(...["server", "api", "client/pkg", "client", "pkg"].map((m) => `go.etcd.io/etcd/${m}/v3@v${v}`)),
          goBuild("etcd", "go.etcd.io/etcd/server/v3"),
        ],
        versionOf: (_bin, file) => capture(file, ["--version"]).includes(`etcd Version: ${v}\n`),
      };
    case "kwok":
      return {
        steps: [goInstall(`sigs.k8s.io/kwok/cmd/kwok@v${v}`, `sigs.k8s.io/kwok/cmd/kwokctl@v${v}`)],
        versionOf: (bin, file) => capture(file, ["--version"]).startsWith(`${bin} version v${v} `),
      };
    case "btcd":
      return {
        steps: [goInstall(`github.com/btcsuite/btcd@v${v}`, `github.com/btcsuite/btcd/cmd/btcctl@v${v}`)],
        // btcctl v0.26.2 still reports "0.23.1-beta"; the module version in the binary is the truth.
        versionOf: (_bin, file) => goModVersion(file, "github.com/btcsuite/btcd", v),
      };
    case "bitcoin-core":
      return {
        steps: [copyPrebuilt(tool), debianRuntime(["libevent-extra-2.1-7", "libevent-pthreads-2.1-7"])],
        // An upstream master build: "Bitcoin Core daemon version v29.99.0-g<commit>".
        versionOf: (_bin, file) => capture(file, ["-version"]).split("\n")[0].includes(`v${v}-`),
      };
    case "pulumi-language-nodejs":
      return {
        steps: [gunzipPrebuilt(tool)],
        versionOf: (_bin, file) => capture(file, ["-version"]).trim() === `v${v}`,
      };
  }
}

function capture(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : "";
}

function allPinned(tool: ToolName, dir: string): boolean {
  const { versionOf } = recipe(tool);
  return TOOLS[tool].binaries.every((b) => {
    const file = path.join(dir, b);
    return fs.existsSync(file) && versionOf(b, file);
  });
}

/** A tool already on PATH (outside our cache) at the pinned version is linked in and used as is. */
function linkFromPath(tool: ToolName, bin: string): boolean {
  const cache = toolchainRoot();
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !path.resolve(d).startsWith(cache));
  const found = TOOLS[tool].binaries.map((b) => dirs.map((d) => path.join(d, b)).find((f) => isExecutable(f)));
  if (found.some((f) => !f)) return false;
  const { versionOf } = recipe(tool);
  if (!TOOLS[tool].binaries.every((b, i) => versionOf(b, found[i]!))) return false;
  const staging = `${bin}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  TOOLS[tool].binaries.forEach((b, i) => fs.symlinkSync(fs.realpathSync(found[i]!), path.join(staging, b)));
  fs.rmSync(bin, { recursive: true, force: true });
  fs.renameSync(staging, bin);
  return true;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** One setup at a time per tool, across clones: a lock file holding the owner's pid. */
function withLock<T>(tool: ToolName, fn: () => Promise<T>): Promise<T> {
  return withPidLock(
    `${toolDir(tool)}.lock`,
    (owner) => console.log(`  ${tool}: waiting for another setup (pid ${owner}) to finish it`),
    fn,
  );
}

/** Width of the tool column in the result lines. */
const NAME_WIDTH = Math.max(...Object.keys(TOOLS).map((t) => t.length));

/** Installs one tool: its status line's outcome, or "unavailable" when it is a prebuilt one whose folder is not there. */
async function installTool(tool: ToolName): Promise<string> {
  const started = Date.now();
  const dir = toolDir(tool);
  const bin = toolBinDir(tool);
  fs.mkdirSync(toolchainRoot(), { recursive: true });
  const line = (how: string) =>
    `${tool.padEnd(NAME_WIDTH)} v${TOOLS[tool].version.padEnd(8)} ${how.padEnd(22)} ${secs(started).padStart(7)}  ${bin}`;
  return withLock(tool, async () => {
    if (allPinned(tool, bin)) return line("ok (cached)");
    if (linkFromPath(tool, bin)) return line("ok (found on PATH)");
    const prebuilt = PREBUILT[tool] !== undefined;
    if (prebuilt && !fs.existsSync(prebuiltBin(tool))) return "unavailable";
    const ctx: BuildContext = {
      tool,
      src: prebuilt ? dir : path.join(dir, "src"),
      out: `${bin}.partial`,
      log: path.join(dir, "build.log"),
    };
    fs.mkdirSync(ctx.src, { recursive: true });
    fs.rmSync(ctx.out, { recursive: true, force: true });
    fs.mkdirSync(ctx.out, { recursive: true });
    fs.writeFileSync(ctx.log, `# ${tool} v${TOOLS[tool].version} ${prebuilt ? "install" : "build"}, ${new Date().toISOString()}\n`);
    for (const step of recipe(tool).steps) {
      console.log(`  ${tool}: ${step.name} ... (${secs(started)})`);
      await step.run(ctx);
    }
    if (!allPinned(tool, ctx.out)) {
      throw new StepError(
        tool,
        "verify version",
        `${prebuilt ? "installed" : "built"} binaries in ${ctx.out} do not report v${TOOLS[tool].version}`,
      );
    }
    fs.rmSync(bin, { recursive: true, force: true });
    fs.renameSync(ctx.out, bin);
    return line(prebuilt ? "installed (prebuilt)" : "built");
  });
}

const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

/** Node 22 comes from the pinned `node` devDependency, which npm scripts put first on PATH. */
function checkNode(): string {
  const started = Date.now();
  const major = Number(process.versions.node.split(".")[0]);
  if (major < NODE_MAJOR) {
    throw new StepError(
      "node",
      "version check",
      `running Node ${process.version}, need >= ${NODE_MAJOR}. Run \`npm ci\` (it installs the pinned \`node\` ` +
        `devDependency into node_modules/.bin) and then \`npm run setup\`, which runs under that Node.`,
    );
  }
  // npm loses the executable bit of the dynamic-provider plugin; Pulumi then reports it missing.
  // Only when it is lost: a user who does not own node_modules can still run setup afterwards.
  const plugin = path.join(pulumiNodejsPluginDir(), "pulumi-resource-pulumi-nodejs");
  try {
    if (!isExecutable(plugin)) fs.chmodSync(plugin, 0o755);
  } catch (err) {
    throw new StepError("node", "chmod +x pulumi-resource-pulumi-nodejs", (err as Error).message);
  }
  return `${"node".padEnd(NAME_WIDTH)} ${process.version.padEnd(9)} ${"ok".padEnd(22)} ${secs(started).padStart(7)}  ${process.execPath}`;
}

function checkGo(): void {
  const out = capture("go", ["version"]);
  if (!out) throw new StepError("go", "go version", "Go is needed to build the toolchain: install Go (>= 1.25) and put it on PATH");
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`regnet setup: toolchain cache ${toolchainRoot()}`);
  console.log(checkNode());
  // `npm run setup -- etcd kwok` installs only those tools.
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((t) => !(t in TOOLS));
  if (unknown.length) throw new Error(`unknown tool(s) ${unknown.join(", ")}; known: ${Object.keys(TOOLS).join(", ")}`);
  const tools = (Object.keys(TOOLS) as ToolName[]).filter((t) => !wanted.length || wanted.includes(t));
  if (!tools.every((t) => PREBUILT[t] || allPinned(t, toolBinDir(t)))) checkGo();
  // Two lanes of Go builds on two cores: Kubernetes (the big one) beside the rest, one after
  // another; the prebuilt tools (a copy each, seconds) in a third.
  const lanes = [["kubernetes"], ["etcd", "kwok", "btcd", "pulumi"], Object.keys(PREBUILT)].map((l) => tools.filter((t) => l.includes(t)));
  const failures: StepError[] = [];
  const unavailable: ToolName[] = [];
  await Promise.all(
    lanes.map(async (lane) => {
      for (const tool of lane) {
        try {
          const result = await installTool(tool);
          if (result === "unavailable") unavailable.push(tool);
          else console.log(result);
        } catch (err) {
          failures.push(err instanceof StepError ? err : new StepError(tool, "install", String(err)));
        }
      }
    }),
  );
  // A user's machine has no prebuilt folder: everything else still works, so say so once and go on.
  if (unavailable.length) {
    console.log(
      `${unavailable.join(", ")}: not installed, no ${unavailable.map((t) => PREBUILT[t]).join(", ")} in ${prebuiltRoot()} ` +
        `($REGNET_PREBUILT_DIR to look elsewhere); ${unavailable.map((t) => NEEDED_BY[t]).join(" and ")} need ` +
        `${unavailable.length > 1 ? "them" : "it"}, and their tests are skipped`,
    );
  }
  if (failures.length) {
    for (const f of failures) console.error(`\nsetup FAILED: ${f.message}`);
    process.exitCode = 1;
    return;
  }
  console.log(`regnet setup: done in ${secs(started)}. Next: npm run sandbox -- up`);
}

main().catch((err: unknown) => {
  console.error(`setup FAILED: ${messageOf(err)}`);
  process.exitCode = 1;
});
