// `npm run demo`: the sandbox up (idempotent), then `pulumi up` of the `dev` stack (Pulumi.dev.yaml)
// on the local file backend in .regnet/state, streaming Pulumi's progress, then a table of the nodes
// and how to reach one. `npm run demo -- down` destroys the stack and stops the sandbox.
// The state's secrets passphrase comes from $PULUMI_CONFIG_PASSPHRASE; without it a fixed demo-only
// passphrase is used (fine for a throwaway local regtest stack, never for a real one).
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import YAML from "yaml";
import { down, up } from "../../sandbox/cluster/cluster";
import { currentInstance } from "../../sandbox/cluster/instance";
import { repoRoot, toolPath } from "../../sandbox/toolchain/paths";
import { RPC_MOUNT, SECRET_KEYS } from "../../provider/engine/desired/common";
import { RPC_PORTS } from "../../provider/spec/constants";
import type { NetworkObservation } from "../../provider/pulumi/types";
import { DEMO_PASSPHRASE, openStack } from "./automation";
import { messageOf } from "../../provider/errors";

const STACK = "dev";
const STATE_DIR = path.join(repoRoot, ".regnet", "state");
const LOG_FILE = path.join(repoRoot, ".regnet", "logs", "pulumi-dev.log");

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

  for (const [name, net] of Object.entries(networks)) printNetwork(name, net, implementationOf(config, name));
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

function implementationOf(config: Record<string, unknown>, name: string): string {
  const list = (config.networks ?? []) as { name: string; implementation?: string }[];
  return list.find((n) => n.name === name)?.implementation ?? "bitcoin-core";
}

function printNetwork(name: string, net: NetworkSummary, implementation: string): void {
  const rows = [["ordinal", "pod", "ip", "ready", "peers/expected", "height"]];
  for (const n of net.nodes) {
    rows.push([String(n.ordinal), n.pod, n.ip ?? "-", n.ready ? "yes" : "no", `${n.peers}/${n.expectedPeers}`, String(n.height ?? "-")]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    `\nnetwork ${net.namespace}/${name}: ${net.readyNodes} ready, ${net.wired ? "wired" : "NOT wired"}, ${net.synced ? "synced" : "not synced"}, height ${net.height}`,
  );
  for (const r of rows) console.log("  " + r.map((c, i) => c.padEnd(widths[i])).join("  "));

  const pod = net.nodes[0]?.pod ?? `${name}-0`;
  const btcd = implementation === "btcd";
  const port = RPC_PORTS[btcd ? "btcd" : "bitcoin-core"];
  const inPod = btcd ? `btcctl -C ${RPC_MOUNT}/${SECRET_KEYS.btcctlConf}` : `bitcoin-cli -conf=${RPC_MOUNT}/${SECRET_KEYS.cliConf}`;
  const secret = (key: string) => `$(kubectl -n ${net.namespace} get secret ${net.rpcSecretName} -o jsonpath='{.data.${key}}' | base64 -d)`;
  const fromHost = btcd
    ? `btcctl -C /dev/null --regtest --rpcserver=127.0.0.1:${port} --skipverify --rpccert=/dev/null --rpcuser=${secret(SECRET_KEYS.user)} --rpcpass=${secret(SECRET_KEYS.password)}`
    : `printf '%s\\n' "${secret(SECRET_KEYS.password)}" | bitcoin-cli -regtest -rpcport=${port} -rpcuser=${secret(SECRET_KEYS.user)} -stdinrpcpass`;
  console.log(`\nreach a node (first: eval "$(npm run -s sandbox -- env)"):`);
  console.log(`  kubectl -n ${net.namespace} get pods -l '${net.selector}' -o wide`);
  console.log(`  kubectl -n ${net.namespace} exec ${pod} -- ${inPod} getblockcount`);
  console.log(`  kubectl -n ${net.namespace} port-forward pod/${pod} ${port}:${port} &`);
  console.log(`  ${fromHost} getblockcount`);
  console.log(`  (the RPC credentials stay in the Secret ${net.rpcSecretName}; Pulumi state holds only its name)`);
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
