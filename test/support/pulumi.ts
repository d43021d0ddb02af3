// A Pulumi stack for one test file: a throwaway namespace, the inline regnet program on a `file://`
// backend under .regnet/test-pulumi/<namespace>/, and the engine's log beside it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../infra/pulumi/automation";
import { repoRoot, tempNamespace } from "./cluster";

export interface TestStack {
  ns: { name: string; cleanup: () => Promise<void> };
  stack: Stack;
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
  const stack = await openStack({
    stackName,
    stateDir: path.join(root, "state"),
    config: config(ns.name),
    secretKeys,
    env: { REGNET_LOG_FILE: logFile },
  });
  return { ns, stack, root, logFile };
}

/** Destroys the stack when asked (tests that end with their own destroy don't), then removes it all. */
export async function closeTestStack(t: TestStack | undefined, { destroy = false } = {}): Promise<void> {
  if (!t) return;
  if (destroy) await t.stack.destroy({ color: "never" }).catch(() => undefined);
  await t.ns.cleanup();
  fs.rmSync(t.root, { recursive: true, force: true });
}
