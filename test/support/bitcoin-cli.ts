// The real `bitcoin-cli` run against a Bitcoin Core node's pod IP: the tests' independent view of
// what regnet reports. The password comes from the network's Secret and reaches bitcoin-cli on
// stdin (-stdinrpcpass), never in argv; an empty temporary datadir keeps the host's ~/.bitcoin
// (config, cookie) out of it.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { readCredentials } from "../../provider/engine/desired";
import { RPC_PORTS } from "../../provider/spec/constants";
import { toolPath } from "../../sandbox/toolchain/paths";

/** Where a Core node answers RPC and with which credentials. */
export interface CoreNode {
  ip: string;
  user: string;
  password: string;
}

/** bitcoin-cli exited non-zero; `rpcCode` is the node's JSON-RPC error code when it sent one. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly rpcCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`bitcoin-cli ${args.join(" ")} exited ${exitCode}: ${stderr}`);
  }
}

/** A pod of a Core network as a CoreNode: its IP now, the credentials from `secretName`. */
export async function coreNode(kc: k8s.KubeConfig, namespace: string, pod: string, secretName: string): Promise<CoreNode> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const [p, secret] = await Promise.all([
    core.readNamespacedPod({ name: pod, namespace }),
    core.readNamespacedSecret({ name: secretName, namespace }),
  ]);
  const creds = readCredentials(secret);
  if (!creds) throw new Error(`secret ${namespace}/${secretName} holds no RPC credentials`);
  if (!p.status?.podIP) throw new Error(`pod ${namespace}/${pod} has no IP yet`);
  return { ip: p.status.podIP, user: creds.user, password: creds.password };
}

/** Runs `bitcoin-cli <args>` against `node`; resolves with its trimmed stdout, rejects with CliError. */
export async function bitcoinCli(node: CoreNode, args: string[], timeoutMs = 30_000): Promise<string> {
  const datadir = fs.mkdtempSync(path.join(os.tmpdir(), "regnet-cli-"));
  try {
    const argv = [
      `-datadir=${datadir}`,
      "-regtest",
      `-rpcconnect=${node.ip}`,
      `-rpcport=${RPC_PORTS["bitcoin-core"]}`,
      `-rpcuser=${node.user}`,
      "-stdinrpcpass",
      `-rpcclienttimeout=${Math.ceil(timeoutMs / 1000)}`,
      ...args,
    ];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(toolPath("bitcoin-cli"), argv, {
        stdio: ["pipe", "pipe", "pipe"],
        timeout: timeoutMs + 5000,
        killSignal: "SIGKILL",
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
      child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
      child.stdin.end(`${node.password}\n`);
    });
    if (code !== 0) {
      const rpcCode = /error code: (-?\d+)/.exec(stderr)?.[1];
      throw new CliError(args, code, rpcCode === undefined ? undefined : Number(rpcCode), stderr.trim());
    }
    return stdout.trim();
  } finally {
    fs.rmSync(datadir, { recursive: true, force: true });
  }
}

/** `bitcoin-cli <args>` whose answer is JSON (objects, arrays, numbers). */
export async function bitcoinCliJson<T>(node: CoreNode, args: string[], timeoutMs?: number): Promise<T> {
  return JSON.parse(await bitcoinCli(node, args, timeoutMs)) as T;
}
