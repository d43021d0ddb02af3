// `npm run demo`: the sandbox up (idempotent), then `pulumi up` of the `dev` stack (Pulumi.dev.yaml)
// on the local file backend in .regnet/state, streaming Pulumi's progress, then a table of the nodes,
// the `regnet` commands to use the network, and its picture (regnet graph) written to .regnet/demo/.
// `npm run demo -- down` destroys the stack and stops the sandbox.
// The state's secrets passphrase comes from $PULUMI_CONFIG_PASSPHRASE; without it a fixed demo-only
// passphrase is used (fine for a throwaway local regtest stack, never for a real one).
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import YAML from "yaml";
import { down, up } from "../../sandbox/cluster/cluster";
import { currentInstance } from "../../sandbox/cluster/instance";
import { repoRoot, toolPath } from "../../sandbox/toolchain/paths";
import { describeModel, writeGraph } from "../../provider/cli/commands/graph";
import { withSession } from "../../provider/cli/session";
import type { NetworkObservation } from "../../provider/pulumi/types";
import { DEMO_PASSPHRASE, openStack } from "./automation";
import { messageOf } from "../../provider/errors";

const STACK = "dev";
const STATE_DIR = path.join(repoRoot, ".regnet", "state");
const LOG_FILE = path.join(repoRoot, ".regnet", "logs", "pulumi-dev.log");
const PICTURE_DIR = path.join(repoRoot, ".regnet", "demo");

type NetworkSummary = NetworkObservation & { namespace: string };

/** `regnet:*` config of Pulumi.<stack>.yaml, keys without the prefix. */
export function stackConfig(stack: string): Record<string, unknown> {
  const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(doc.config ?? {})
      .filter(([k]) => k.startsWith("regnet:"))
      .map(([k, v]) => [k.slice("regnet:".length), v]),
  );
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function ensureNamespace(kubeconfig: string, name: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.readNamespace({ name });
  } catch {
    await core.createNamespace({ body: { metadata: { name } } });
    say(`created namespace ${name}`);
  }
}

async function demoUp(): Promise<void> {
  const started = Date.now();
  say("== sandbox");
  const inst = await up(say);
  const config: Record<string, unknown> = runnableHere({ ...stackConfig(STACK), kubeconfigPath: inst.kubeconfig });
  const namespace = typeof config.namespace === "string" ? config.namespace : "default";
  await ensureNamespace(inst.kubeconfig, namespace);

  say(`== pulumi up (stack ${STACK}, state in ${path.relative(repoRoot, STATE_DIR)}; engine log ${path.relative(repoRoot, LOG_FILE)})`);
  if (!process.env.PULUMI_CONFIG_PASSPHRASE)
    say(`   PULUMI_CONFIG_PASSPHRASE not set: using the demo-only passphrase "${DEMO_PASSPHRASE}"`);
  const stack = await openStack({ stackName: STACK, stateDir: STATE_DIR, config, env: { REGNET_LOG_FILE: LOG_FILE } });
  const result = await stack.up({ onOutput: (out) => process.stdout.write(out), color: "never" });
  const networks = (result.outputs.networks?.value ?? {}) as Record<string, NetworkSummary>;

  for (const [name, net] of Object.entries(networks)) printNetwork(name, net);
  for (const [name, net] of Object.entries(networks)) await drawNetwork(inst.kubeconfig, net.namespace, name);
  say(`\ndemo ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Tear down: npm run demo -- down`);
}

/**
 * The stack's networks as this machine can run them: Bitcoin Core (the default) needs the bitcoind
 * that `npm run setup` installs from ../shared/toolchain; without it the demo runs btcd and says so.
 */
function runnableHere(config: Record<string, unknown>): Record<string, unknown> {
  if (fs.existsSync(toolPath("bitcoind"))) return config;
  const networks = ((config.networks ?? []) as { name: string; implementation?: string }[]).map((n) => {
    if ((n.implementation ?? "bitcoin-core") !== "bitcoin-core") return n;
    say(
      `   network ${n.name}: Bitcoin Core is not installed here (npm run setup installs it from ../shared/toolchain): running btcd instead`,
    );
    return { ...n, implementation: "btcd" };
  });
  return { ...config, networks };
}

function printNetwork(name: string, net: NetworkSummary): void {
  const rows = [["ordinal", "pod", "ip", "ready", "peers/expected", "height"]];
  for (const n of net.nodes) {
    rows.push([String(n.ordinal), n.pod, n.ip ?? "-", n.ready ? "yes" : "no", `${n.peers}/${n.expectedPeers}`, String(n.height ?? "-")]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    `\nnetwork ${net.namespace}/${name}: ${net.readyNodes} ready, ${net.wired ? "wired" : "NOT wired"}, ${net.synced ? "synced" : "not synced"}, height ${net.height}`,
  );
  for (const r of rows) console.log("  " + r.map((c, i) => c.padEnd(widths[i])).join("  "));

  const ns = `-n ${net.namespace}`;
  const uses: [string, string][] = [
    [`npx regnet status ${name} ${ns}`, "each node: peers, height, tip, version"],
    [`npx regnet rpc ${name} 0 getblockchaininfo ${ns}`, "any RPC to any node"],
    [`npx regnet mine ${name} 10 --node 1 ${ns}`, "mine, and wait until every node has the blocks"],
    [`npx regnet logs ${name} 2 -f ${ns}`, "a node's log"],
    [`npx regnet graph ${name} -o ${name}.png ${ns}`, "the picture written below, again"],
  ];
  const width = Math.max(...uses.map(([c]) => c.length));
  console.log(`\nuse it with the regnet command (first: eval "$(npm run -s sandbox -- env)"; \`npx regnet --help\` for more):`);
  for (const [command, what] of uses) console.log(`  ${command.padEnd(width)}  # ${what}`);
  console.log(`  (the RPC credentials stay in the Secret ${net.rpcSecretName}; regnet reads them there and never prints them)`);
}

/** The network's picture (regnet graph) as SVG and PNG under .regnet/demo/; says where. */
async function drawNetwork(kubeconfig: string, namespace: string, name: string): Promise<void> {
  const svg = path.join(PICTURE_DIR, `${name}.svg`);
  const png = path.join(PICTURE_DIR, `${name}.png`);
  const quiet = { out: process.stdout, err: { write: () => undefined } };
  const model = await withSession({ kubeconfig, namespace }, async (s) => {
    await writeGraph(s, name, { output: svg, format: "svg" }, quiet);
    return writeGraph(s, name, { output: png, format: "png" }, quiet);
  });
  say(`\npicture of ${namespace}/${name}: ${path.relative(repoRoot, svg)} and ${path.relative(repoRoot, png)} — ${describeModel(model)}`);
}

async function demoDown(): Promise<void> {
  say("== pulumi destroy (stack dev)");
  const config = { ...stackConfig(STACK), kubeconfigPath: currentInstance().kubeconfig };
  const stack = await openStack({ stackName: STACK, stateDir: STATE_DIR, config, env: { REGNET_LOG_FILE: LOG_FILE } });
  await stack.destroy({ onOutput: (out) => process.stdout.write(out), color: "never" });
  say("== sandbox down");
  await down(say);
}

async function main(cmd = "up"): Promise<void> {
  if (cmd === "up") return demoUp();
  if (cmd === "down") return demoDown();
  throw new Error(`usage: npm run demo [-- up|down] (got "${cmd}")`);
}

main(process.argv[2]).catch((err) => {
  console.error(messageOf(err));
  process.exit(1);
});
