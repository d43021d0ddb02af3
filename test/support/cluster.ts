// Test helpers shared by the integration and e2e layers: the sandbox's kubeconfig, API clients,
// a throwaway namespace per test file, and a bounded poll.
import * as k8s from "@kubernetes/client-node";
import { currentInstance } from "../../sandbox/cluster/instance";
import { setTimeout as sleep } from "node:timers/promises";
import { messageOf } from "../../provider/errors";

export { repoRoot } from "../../sandbox/toolchain/paths";
/** This checkout's sandbox (REGNET_SANDBOX selects a named one): where `sandbox up` writes its kubeconfig. */
export const sandboxKubeconfig = currentInstance().kubeconfig;
/** The kubeconfig the tests use: $KUBECONFIG (another cluster, or a sandbox instance), else the default sandbox's. */
export const kubeconfigPath = process.env.KUBECONFIG ?? sandboxKubeconfig;

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

/** Creates a namespace with a unique name; returns it and a cleanup that deletes it. */
export async function tempNamespace(prefix: string): Promise<{ name: string; cleanup: () => Promise<void> }> {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 63);
  await core.createNamespace({ body: { metadata: { name, labels: { "regnet.dev/test": "true" } } } });
  return {
    name,
    cleanup: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/** Polls `probe` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError !== undefined ? `: last error: ${messageOf(lastError)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}
