// `npm run setup`: installs the pinned toolchain (versions.json) into the per-user cache.
// Every tool is a Go build from the Go module proxy in a scratch module under its cache dir (no
// release downloads: only package registries are reachable). Idempotent: a tool whose binaries exist
// and report the pinned version is left alone, so a second run takes seconds.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  NODE_MAJOR,
  TOOLS,
  type ToolName,
  pulumiNodejsPluginDir,
  toolBinDir,
  toolDir,
  toolchainRoot,
} from "./paths";

interface Step {
  name: string;
  run: (ctx: BuildContext) => Promise<void>;
}

interface BuildContext {
  tool: ToolName;
  src: string; // scratch module dir
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
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `    ${l}`).join("\n");
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
  run: async (ctx) =>
    void (await run(ctx, `go install ${pkgs[0]}`, "go", ["install", ...pkgs], { ...goEnv(), GOBIN: ctx.out })),
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
    const staging = [...fs.readFileSync(info.GoMod, "utf8").matchAll(/^\s*(k8s\.io\/[a-z0-9-]+)\s+=>\s+\.\/staging/gm)].map(
      (m) => m[1],
    );
    if (staging.length < 20) {
      throw new StepError(ctx.tool, "pin staging modules", `found only ${staging.length} staging replaces in ${info.GoMod}`);
    }
    fs.appendFileSync(gomodFile, staging.map((m) => `replace ${m} => ${m} v0.${minor}.${patch}\n`).join(""));
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
    case "pulumi-language-nodejs":
      // Prebuilt (../shared/toolchain): installed by copying, not built. TODO(setup): copy step.
      return {
        steps: [],
        versionOf: (bin, file) =>
          bin === "pulumi-language-nodejs" ? capture(file, ["-version"]).trim() === `v${v}` : capture(file, ["-version"]).includes(`v${v}-`),
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
async function withLock<T>(tool: ToolName, fn: () => Promise<T>): Promise<T> {
  const lock = `${toolDir(tool)}.lock`;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      const owner = Number(fs.readFileSync(lock, "utf8"));
      if (!owner || !alive(owner)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (!announced) console.log(`  ${tool}: waiting for another setup (pid ${owner}) to finish it`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function installTool(tool: ToolName): Promise<string> {
  const started = Date.now();
  const dir = toolDir(tool);
  const bin = toolBinDir(tool);
  fs.mkdirSync(dir, { recursive: true });
  const line = (how: string) =>
    `${tool.padEnd(10)} v${TOOLS[tool].version.padEnd(8)} ${how.padEnd(22)} ${secs(started).padStart(7)}  ${bin}`;
  return withLock(tool, async () => {
    if (allPinned(tool, bin)) return line("ok (cached)");
    if (linkFromPath(tool, bin)) return line("ok (found on PATH)");
    const ctx: BuildContext = { tool, src: path.join(dir, "src"), out: `${bin}.partial`, log: path.join(dir, "build.log") };
    fs.mkdirSync(ctx.src, { recursive: true });
    fs.rmSync(ctx.out, { recursive: true, force: true });
    fs.mkdirSync(ctx.out, { recursive: true });
    fs.writeFileSync(ctx.log, `# ${tool} v${TOOLS[tool].version} build, ${new Date().toISOString()}\n`);
    for (const step of recipe(tool).steps) {
      console.log(`  ${tool}: ${step.name} ... (${secs(started)})`);
      await step.run(ctx);
    }
    if (!allPinned(tool, ctx.out)) {
      throw new StepError(tool, "verify version", `built binaries in ${ctx.out} do not report v${TOOLS[tool].version}`);
    }
    fs.rmSync(bin, { recursive: true, force: true });
    fs.renameSync(ctx.out, bin);
    return line("built");
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
  const plugin = path.join(pulumiNodejsPluginDir(), "pulumi-resource-pulumi-nodejs");
  try {
    fs.chmodSync(plugin, 0o755);
  } catch (err) {
    throw new StepError("node", "chmod +x pulumi-resource-pulumi-nodejs", (err as Error).message);
  }
  return `${"node".padEnd(10)} ${process.version.padEnd(9)} ${"ok".padEnd(22)} ${secs(started).padStart(7)}  ${process.execPath}`;
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
  if (!tools.every((t) => allPinned(t, toolBinDir(t)))) checkGo();
  // Two lanes on two cores: Kubernetes (the big one) beside the rest, one after another.
  const lanes = [["kubernetes"], ["etcd", "kwok", "btcd", "pulumi"]].map((l) => tools.filter((t) => l.includes(t)));
  const failures: StepError[] = [];
  await Promise.all(
    lanes.map(async (lane) => {
      for (const tool of lane) {
        try {
          console.log(await installTool(tool));
        } catch (err) {
          failures.push(err instanceof StepError ? err : new StepError(tool, "install", String(err)));
        }
      }
    }),
  );
  if (failures.length) {
    for (const f of failures) console.error(`\nsetup FAILED: ${f.message}`);
    process.exitCode = 1;
    return;
  }
  console.log(`regnet setup: done in ${secs(started)}. Next: npm run sandbox -- up`);
}

main().catch((err: unknown) => {
  console.error(`setup FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
