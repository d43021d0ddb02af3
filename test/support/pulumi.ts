// A Pulumi stack for one test file: a throwaway namespace, the inline regnet program on a `file://`
// backend under .regnet/test-pulumi/<namespace>/, and the engine's log beside it.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack, type StackOptions } from "../../infra/pulumi/automation";
import type { NetworkInputs, NetworkOutputs } from "../../provider/pulumi";
import { kubeConfig, repoRoot, tempNamespace } from "./cluster";

export interface TestStack {
  ns: { name: string; cleanup: () => Promise<void> };
  stack: Stack;
  /** The same stack as another process opens it (no program): see `runElsewhere`. */
  options: StackOptions;
  /** Holds `state/` (the backend), the workspace and `engine.log`. */
  root: string;
  logFile: string;
}

export async function openTestStack(
  prefix: string,
  stackName: string,
  config: (namespace: string) => Record<string, unknown>,
  secretKeys?: string[],
): Promise<TestStack> {
  const ns = await tempNamespace(prefix);
  const root = path.join(repoRoot, ".regnet", "test-pulumi", ns.name);
  const logFile = path.join(root, "engine.log");
  const options: StackOptions = {
    stackName,
    stateDir: path.join(root, "state"),
    config: config(ns.name),
    secretKeys,
    env: { REGNET_LOG_FILE: logFile },
  };
  const stack = await openStack(options);
  return { ns, stack, options, root, logFile };
}

/** What test/fixtures/pulumi-op.ts runs: a stack (no program), or beside it a network of unknown size. */
export interface OpInput {
  options: StackOptions;
  unknownNodes?: { name: string; namespace: string; kubeconfigPath: string; spec: Record<string, unknown> };
}

/**
 * `pulumi up` or `preview` of a stack in a process of its own (test/fixtures/pulumi-op.ts), so what
 * the Node SDK rejects late after a failed or interrupted run never reaches this process.
 */
export function runElsewhere(
  op: "up" | "preview",
  input: OpInput,
): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; output: string }> } {
  let output = "";
  const child = spawn(process.execPath, [path.join(repoRoot, "dist", "test", "fixtures", "pulumi-op.js"), op, JSON.stringify(input)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.on("close", (code) => resolve({ code, output })));
  return { child, output: () => output, exited };
}

/** Destroys the stack when asked (tests that end with their own destroy don't), then removes it all. */
export async function closeTestStack(t: TestStack | undefined, { destroy = false } = {}): Promise<void> {
  if (!t) return;
  if (destroy) await t.stack.destroy({ color: "never" }).catch(() => undefined);
  await t.ns.cleanup();
  fs.rmSync(t.root, { recursive: true, force: true });
}

/** `kind/name` of every StatefulSet, Service, Secret, PVC and pod in a test's own namespace (where
 * only its networks live, so anything listed is something a destroy left behind). */
export async function namespaceObjects(namespace: string): Promise<string[]> {
  const kc = kubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const names = (kind: string, items: { metadata?: { name?: string } }[]) => items.map((o) => `${kind}/${o.metadata?.name}`);
  const lists = await Promise.all([
    apps.listNamespacedStatefulSet({ namespace }).then((l) => names("statefulset", l.items)),
    core.listNamespacedService({ namespace }).then((l) => names("service", l.items)),
    core.listNamespacedSecret({ namespace }).then((l) => names("secret", l.items)),
    core.listNamespacedPersistentVolumeClaim({ namespace }).then((l) => names("pvc", l.items)),
    core.listNamespacedPod({ namespace }).then((l) => names("pod", l.items)),
  ]);
  return lists.flat();
}

/** The URN type of a BitcoinNetwork. */
export const NETWORK_TYPE = "pulumi-nodejs:dynamic/regnet:BitcoinNetwork";

/** A resource as a Pulumi checkpoint records it (`stack export`, or the state file itself). */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  initErrors?: string[];
  inputs: Partial<NetworkInputs> & { __provider?: string };
  outputs: Partial<NetworkOutputs>;
}

/** The resources of a checkpoint's `deployment` (or `checkpoint.latest`). */
export function resourcesOf(deployment: unknown): StateResource[] {
  return (deployment as { resources?: StateResource[] } | undefined)?.resources ?? [];
}

/** The resources in a stack's state. */
export async function stateResources(stack: Stack): Promise<StateResource[]> {
  return resourcesOf((await stack.exportStack()).deployment);
}

/** The stack's BitcoinNetwork resources. */
export async function networkResources(stack: Stack): Promise<StateResource[]> {
  return (await stateResources(stack)).filter((r) => r.type === NETWORK_TYPE);
}
