// The Automation API harness: runs the stack program (./stack.ts) INLINE with the pinned Pulumi CLI
// on a local file backend. The demo and most tests use it; `pulumi up` in the project directory runs
// the same function through the Node language host (infra/pulumi/main.ts; test/e2e/pulumi-directory).
//
// workDir is deliberate: the Pulumi CLI starts the dynamic provider with workDir as its working
// directory, and the provider's trampolines look for the compiled adapter from there (or take
// $REGNET_PULUMI_ADAPTER, which this harness sets). Keeping workDir under the repo's .regnet/ also
// keeps the generated Pulumi.yaml / Pulumi.<stack>.yaml out of the project root and out of git.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type ConfigMap,
  type DestroyOptions,
  type DestroyResult,
  type ProjectSettings,
  type PulumiFn,
  type Stack,
  type UpOptions,
  type UpResult,
} from "@pulumi/pulumi/automation";
import { pulumiNodejsPluginDir, repoRoot, toolchainEnv, toolDir } from "../../sandbox/toolchain/paths";
import { regnetStack } from "./stack";
import { adoptPendingNetworks, dropResolvedCreates, type Deployment } from "./interrupted";

const PROJECT_NAME = "regnet";
/** Only for the local demo backend: real stacks should set PULUMI_CONFIG_PASSPHRASE themselves. */
export const DEMO_PASSPHRASE = "regnet-demo-only";

export interface StackOptions {
  stackName: string;
  /** Directory holding the file backend's state (it becomes `file://<dir>`). */
  stateDir: string;
  /** Working directory of the CLI and the provider process; default `<stateDir>/../work-<stack>`. */
  workDir?: string;
  /** `regnet:*` config: keys without the `regnet:` prefix, values as in Pulumi.<stack>.yaml. */
  config: Record<string, unknown>;
  /** Keys of `config` to store as secrets (encrypted in Pulumi.<stack>.yaml and in state). */
  secretKeys?: string[];
  passphrase?: string;
  /** Extra environment for the CLI and the provider process (e.g. REGNET_LOG_FILE). */
  env?: Record<string, string>;
  /** The inline program; default the regnet stack program. */
  program?: PulumiFn;
}

/** The environment the CLI (and through it the provider process) runs with. */
function pulumiEnv(stateDir: string, passphrase: string, extra: Record<string, string> = {}): Record<string, string> {
  const env = toolchainEnv(process.env);
  return {
    PATH: env.PATH ?? "",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? passphrase,
    // Keep the CLI's own files (workspace selection, plugin cache) with the state, not in ~/.pulumi.
    PULUMI_HOME: path.join(stateDir, ".pulumi-home"),
    REGNET_PULUMI_ADAPTER: path.join(repoRoot, "dist", "provider", "pulumi", "adapter.js"),
    // A relative regnet:kubeconfigPath is the project's (this repo's), not the workDir's.
    REGNET_PROJECT_DIR: repoRoot,
    ...extra,
  };
}

export async function openStack(opts: StackOptions): Promise<Stack> {
  const passphrase = opts.passphrase ?? DEMO_PASSPHRASE;
  const workDir = opts.workDir ?? path.join(path.dirname(opts.stateDir), `work-${opts.stackName}`);
  fs.mkdirSync(opts.stateDir, { recursive: true });
  fs.mkdirSync(workDir, { recursive: true });
  ensurePluginExecutable();
  const pulumiCommand = await PulumiCommand.get({ root: toolDir("pulumi") });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, projectName: PROJECT_NAME, program: opts.program ?? (async () => regnetStack(repoRoot)) },
    {
      workDir,
      pulumiCommand,
      envVars: pulumiEnv(opts.stateDir, passphrase, opts.env),
      projectSettings: projectSettings(opts.stateDir),
    },
  );
  await stack.setAllConfig(configMap(opts.config, opts.secretKeys ?? []));
  return stack;
}

/** The workDir's Pulumi.yaml. `plugins` (a Pulumi.yaml key the SDK's ProjectSettings type lacks)
 * names the dynamic-provider plugin, which ships inside @pulumi/pulumi, so the CLI does not pick it
 * up from PATH with a warning on every run. */
function projectSettings(stateDir: string): ProjectSettings {
  const settings = {
    name: PROJECT_NAME,
    runtime: "nodejs" as const,
    backend: { url: `file://${stateDir}` },
    plugins: { providers: [{ name: "pulumi-nodejs", path: pulumiNodejsPluginDir() }] },
  };
  return settings;
}

/** `regnet:*` config as the Automation API wants it: objects and lists as JSON (read with requireObject). */
function configMap(config: Record<string, unknown>, secretKeys: string[]): ConfigMap {
  const map: ConfigMap = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    map[`${PROJECT_NAME}:${key}`] = {
      value: typeof value === "string" ? value : JSON.stringify(value),
      secret: secretKeys.includes(key),
    };
  }
  return map;
}

/** npm may drop the exec bit of the dynamic-provider plugin script that @pulumi/pulumi ships. */
function ensurePluginExecutable(): void {
  const plugin = path.join(pulumiNodejsPluginDir(), "pulumi-resource-pulumi-nodejs");
  if ((fs.statSync(plugin).mode & 0o111) === 0) fs.chmodSync(plugin, 0o755);
}

/** Applies `edit` to the stack's state and writes it back if it changed anything. */
async function editState(stack: Stack, edit: (d: Deployment) => string[]): Promise<string[]> {
  const state = await stack.exportStack();
  const changed = edit(state.deployment as Deployment);
  if (changed.length) await stack.importStack(state);
  return changed;
}

/** `up`, then dropping what an interrupted `up` left pending for the networks this one created again
 * (./interrupted.ts); `onSettled` hears which. */
export async function upStack(stack: Stack, opts: UpOptions = {}, onSettled?: (line: string) => void): Promise<UpResult> {
  try {
    return await stack.up(opts);
  } finally {
    const urns = await editState(stack, dropResolvedCreates);
    if (urns.length) onSettled?.(`cleared the pending create an interrupted up left for ${urns.join(", ")}: up created it again`);
  }
}

/** `destroy`, after adopting the networks an interrupted `up` was creating (./interrupted.ts), so that
 * they are deleted too; `onSettled` hears which. */
export async function destroyStack(stack: Stack, opts: DestroyOptions = {}, onSettled?: (line: string) => void): Promise<DestroyResult> {
  const ids = await editState(stack, adoptPendingNetworks);
  if (ids.length) onSettled?.(`adopted ${ids.join(", ")}, which an interrupted up was creating, so that destroy deletes it`);
  return stack.destroy(opts);
}
