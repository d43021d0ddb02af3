// The project directory as users run it: the real `pulumi` CLI in a copy of the checkout, Pulumi.yaml's
// program (infra/pulumi/main.ts) run by the Node language host — not inline through the Automation
// API — on a file backend, with a RELATIVE `regnet:kubeconfigPath` and nothing else pointing at the
// cluster (no KUBECONFIG, no REGNET_PULUMI_ADAPTER). A 3-node Bitcoin Core mesh goes through
// up → preview (nodes 3 => 5) → the project moved to another folder (no change) → hand `kubectl
// scale` + refresh → destroy; the nodes are checked with
// bitcoin-cli on their pod addresses, and the state and the provider's log are searched for the RPC
// password and the kubeconfig's key.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import YAML from "yaml";
import type { NetworkObservation } from "../../provider/pulumi/types";
import { repoRoot, toolchainEnv, toolPath } from "../../sandbox/toolchain/paths";
import { bitcoinCliJson, coreNode } from "../support/bitcoin-cli";
import { kubeConfig, kubeconfigPath, tempNamespace, waitFor } from "../support/cluster";
import { missing } from "../support/prereqs";
import { NETWORK_TYPE, namespaceObjects, resourcesOf, type StateResource } from "../support/pulumi";
import { tempDirs } from "../support/tmp";

const SKIP = missing("pulumi-language-nodejs") || missing("bitcoin-core");
const STACK = "dir";
const NET = "core";
const NODES = 3;
const newDir = tempDirs("regnet-pulumi-dir-");

let ns: { name: string; cleanup: () => Promise<void> } | undefined;
let project: string;
let env: NodeJS.ProcessEnv;

const log = (line: string) => process.stderr.write(`[pulumi-directory] ${line}\n`);

/** What a user's checkout holds after `npm ci && npm run build`: sources copied, node_modules linked
 * (the language host and Node resolve through the link), and the compiled provider the dynamic
 * provider's trampolines load. */
function copyProject(into: string): void {
  for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json", "infra", "provider", "charts-out"]) {
    fs.cpSync(path.join(repoRoot, f), path.join(into, f), { recursive: true });
  }
  fs.cpSync(path.join(repoRoot, "dist", "provider"), path.join(into, "dist", "provider"), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(into, "node_modules"), "dir");
}

/** Runs the pinned `pulumi` in the project copy; rejects with the command and its output's tail. */
async function pulumi(...args: string[]): Promise<string> {
  const started = Date.now();
  try {
    const { stdout } = await promisify(execFile)(toolPath("pulumi"), [...args, "--stack", STACK, "--color", "never"], {
      cwd: project,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    log(`pulumi ${args.join(" ")}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; code?: number };
    const tail = `${e.stdout ?? ""}\n${e.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`pulumi ${args.join(" ")} exited ${e.code}:\n${tail}`, { cause: err });
  }
}

/** Edits Pulumi.<stack>.yaml as a user would, keeping what `stack init` wrote (encryptionsalt). */
function setConfig(config: Record<string, unknown>): void {
  const file = path.join(project, `Pulumi.${STACK}.yaml`);
  const doc = ((fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) : null) ?? {}) as { config?: Record<string, unknown> };
  doc.config = { ...doc.config, ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`regnet:${k}`, v])) };
  fs.writeFileSync(file, YAML.stringify(doc));
}

const networks = (nodes: number) => [{ name: NET, nodes, topology: { type: "mesh" } }];

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

async function stackResources(): Promise<StateResource[]> {
  return resourcesOf((JSON.parse(await pulumi("stack", "export")) as { deployment: unknown }).deployment);
}

before(async () => {
  if (SKIP) return;
  ns = await tempNamespace("pulumi-dir");
  const dir = newDir();
  project = path.join(dir, "project");
  copyProject(project);
  // A self-contained copy of the cluster's kubeconfig (certificates inlined), where the config names it.
  fs.mkdirSync(path.join(project, ".regnet"));
  const flat = await promisify(execFile)(toolPath("kubectl"), ["config", "view", "--raw", "--flatten", "--minify"], {
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
  });
  fs.writeFileSync(path.join(project, ".regnet", "kubeconfig"), flat.stdout, { mode: 0o600 });

  const { PATH, HOME, XDG_CACHE_HOME } = process.env;
  env = toolchainEnv({
    PATH,
    HOME,
    ...(XDG_CACHE_HOME ? { XDG_CACHE_HOME } : {}),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "regnet-directory-test",
    PULUMI_HOME: path.join(dir, "pulumi-home"),
  });
  fs.mkdirSync(path.join(dir, "state"));
  await pulumi("stack", "init");
  setConfig({ namespace: ns.name, kubeconfigPath: ".regnet/kubeconfig", convergeTimeoutSeconds: 600, networks: networks(NODES) });
});

after(async () => {
  await ns?.cleanup();
});

test(`pulumi up: a ${NODES}-node Core mesh, every node at the same tip with its peers`, { skip: SKIP }, async () => {
  const out = await pulumi("up", "--yes");
  assert.match(out, /\+ 2 created/);
  const net = (JSON.parse(await pulumi("stack", "output", "networks", "--json")) as Record<string, NetworkObservation>)[NET];
  assert.equal(net.readyNodes, NODES);
  assert.equal(net.wired, true);

  const kc = kubeConfig();
  const tips = await Promise.all(
    net.nodes.map(async (n) => {
      const node = await coreNode(kc, ns!.name, n.pod, net.rpcSecretName);
      assert.equal(node.ip, n.ip, `${n.pod}: the output's ip is the pod's`);
      const chain = await bitcoinCliJson<{ blocks: number; bestblockhash: string }>(node, ["getblockchaininfo"]);
      const peers = await bitcoinCliJson<{ addr: string }[]>(node, ["getpeerinfo"]);
      log(`${n.pod} ${n.ip}: height ${chain.blocks}, ${peers.length} peers`);
      assert.ok(peers.length >= NODES - 1, `${n.pod}: ${peers.length} peers, a ${NODES}-node mesh needs ${NODES - 1}`);
      return chain;
    }),
  );
  assert.ok(tips[0].blocks >= 101, `height ${tips[0].blocks}`);
  assert.deepEqual(new Set(tips.map((t) => t.bestblockhash)).size, 1, JSON.stringify(tips));
});

test(`pulumi preview after nodes ${NODES} => ${NODES + 2}: one update, never a replace`, { skip: SKIP }, async () => {
  setConfig({ networks: networks(NODES + 2) });
  const out = await pulumi("preview", "--diff");
  log(out);
  assert.match(out, /~ pulumi-nodejs:dynamic\/regnet:BitcoinNetwork: \(update\)/);
  assert.match(out, new RegExp(`~ nodes\\s*: ${NODES} => ${NODES + 2}`));
  assert.match(out, /~ 1 to update/);
  assert.doesNotMatch(out, /replace|to create|to delete/);
  setConfig({ networks: networks(NODES) });
});

test("the state keeps kubeconfigPath as written: the same project moved to another folder previews no change", { skip: SKIP }, async () => {
  const [res] = (await stackResources()).filter((r) => r.type === NETWORK_TYPE);
  assert.equal(res.inputs.kubeconfigPath, ".regnet/kubeconfig", "relative, as the stack config says");
  // Another checkout (another folder, another machine): the provider resolves the path against it.
  const moved = path.join(path.dirname(project), "moved");
  fs.renameSync(project, moved);
  project = moved;
  const out = await pulumi("preview", "--diff");
  log(out);
  assert.match(out, /2 unchanged/);
  assert.doesNotMatch(out, /to update|to replace|kubeconfigPath/);
});

test("pulumi refresh shows a hand-made `kubectl scale` as drift", { skip: SKIP }, async () => {
  const kubeconfig = path.join(project, ".regnet", "kubeconfig");
  await promisify(execFile)(toolPath("kubectl"), ["-n", ns!.name, "scale", "statefulset", NET, `--replicas=${NODES - 1}`], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  await waitFor(
    `the hand scale to remove pod ${NODES - 1}`,
    async () => (await namespaceObjects(ns!.name)).filter((o) => o.startsWith("pod/")).length === NODES - 1,
    {
      timeoutMs: 120_000,
    },
  );

  const out = await pulumi("refresh", "--yes", "--diff");
  log(out);
  assert.match(out, new RegExp(`~ nodes\\s*: ${NODES} => ${NODES - 1}`));
  assert.match(out, /~ 1 updated/);
  const res = (await stackResources()).find((r) => r.type === NETWORK_TYPE)!;
  assert.equal(res.outputs.nodes?.length, NODES - 1);
  assert.equal(res.inputs.spec?.nodes, NODES - 1, "refresh records what the cluster runs");
});

test("neither the state nor the provider's log holds the RPC password or the kubeconfig's key", { skip: SKIP }, async () => {
  const { password } = await coreNode(kubeConfig(), ns!.name, `${NET}-0`, `${NET}-rpc`);
  const kc = YAML.parse(fs.readFileSync(path.join(project, ".regnet", "kubeconfig"), "utf8")) as {
    users: { user: Record<string, string> }[];
  };
  const keys = kc.users.map(({ user }) => user["client-key-data"] ?? user.token).filter((k): k is string => !!k);
  assert.ok(keys.length > 0, "the kubeconfig carries a client key or token");
  const pemLines = keys.flatMap((k) =>
    Buffer.from(k, "base64")
      .toString("utf8")
      .split("\n")
      .filter((l) => l.length >= 40 && !l.startsWith("-----")),
  );
  const needles = [password, Buffer.from(password).toString("base64"), ...keys, ...pemLines];
  const files = [...walk(path.join(path.dirname(project), "state")), path.join(project, ".regnet", "logs", "pulumi-provider.log")];
  assert.ok(
    files.some((f) => f.endsWith(`${STACK}.json`)),
    "the stack's state file is among the files searched",
  );
  for (const f of files) {
    const text = fs.readFileSync(f, "utf8");
    assert.ok(!needles.some((n) => text.includes(n)), `${f} holds a credential`);
  }
});

test("pulumi destroy leaves nothing: no object in the namespace, an empty stack", { skip: SKIP }, async () => {
  await pulumi("destroy", "--yes");
  assert.deepEqual(await namespaceObjects(ns!.name), []);
  assert.deepEqual(await stackResources(), []);
  // The CLI starts the provider process in infra/pulumi/; the engine's log still lands in the checkout's .regnet/.
  assert.ok(fs.existsSync(path.join(project, ".regnet", "logs", "pulumi-provider.log")), "the engine log is in <project>/.regnet/logs");
});
