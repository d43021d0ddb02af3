// `npm run bench`: how long the controller takes from a spec change (a patch of `.spec.nodes`) to
// the StatefulSet's `.spec.replicas` update, as the API server shows it (observed through a
// watch). Runs against the sandbox: `--controller cluster` installs charts-out and uses the
// in-cluster controller; `local` runs one as a local process (`--kubeconfig`, this namespace
// only); `auto` (default) uses the in-cluster one if it is running, else a local one. The network
// alternates between 1 and 2 btcd nodes; between runs it is left to settle (Ready, Wired, Synced),
// so each run measures a controller that is idle when the change arrives.
//   npm run bench -- [--runs 7] [--controller auto|cluster|local]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as k8s from "@kubernetes/client-node";
import {
  applyPlatform,
  CONTROLLER_NAME,
  CONTROLLER_NAMESPACE,
  createNetwork,
  getNetwork,
  loadKubeConfig,
  median,
  patchNetworkSpec,
  settled,
  startLocalController,
  type LocalController,
} from "./harness";
import { messageOf } from "../provider/errors";
import { setTimeout as sleep } from "node:timers/promises";

const say = (s: string) => process.stderr.write(`${s}\n`);

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

async function inClusterControllerAvailable(kc: k8s.KubeConfig): Promise<boolean> {
  try {
    const d = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ namespace: CONTROLLER_NAMESPACE, name: CONTROLLER_NAME });
    return (d.status?.availableReplicas ?? 0) > 0;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "7" }, controller: { type: "string", default: "auto" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs must be an integer ≥ 5, got ${values.runs}`);
  if (!["auto", "cluster", "local"].includes(values.controller)) throw new Error("--controller must be auto, cluster or local");

  const kc = loadKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.listNamespace({ limit: 1 }).catch((err: unknown) => {
    throw new Error(`the sandbox API server is not reachable (${messageOf(err)}): run \`npm run sandbox -- up\``, { cause: err });
  });
  let mode = values.controller;
  // `cluster` installs the whole platform (charts-out, 1 controller replica); otherwise only the
  // CRD is applied and the controller's Deployment is left as it is.
  say(`applying charts-out/ (server-side${mode === "cluster" ? "" : ", CRD and RBAC only"}) ...`);
  await applyPlatform({ controller: mode === "cluster" });
  // A Deployment that was just applied needs a moment to become available.
  const inCluster = await poll("the in-cluster controller", mode === "cluster" ? 60_000 : 1, async () =>
    (await inClusterControllerAvailable(kc)) ? true : undefined,
  ).catch(() => false);
  if (mode === "auto") mode = inCluster ? "cluster" : "local";
  if (mode === "local" && inCluster) {
    throw new Error(
      `the in-cluster controller (${CONTROLLER_NAMESPACE}/${CONTROLLER_NAME}) would reconcile the bench network too: scale it to 0 first, or use --controller cluster`,
    );
  }
  if (mode === "cluster" && !inCluster)
    throw new Error(`no available in-cluster controller (${CONTROLLER_NAMESPACE}/${CONTROLLER_NAME}): use --controller local`);
  const namespace = `bench-ctl-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { "regnet.dev/test": "true" } } } });
  let local: LocalController | undefined;
  const name = "bench";
  try {
    if (mode === "local") {
      say("starting a local controller (--kubeconfig) for this namespace ...");
      local = await startLocalController(["--namespace", namespace, "--leader-elect", "false"]);
    }
    say(
      `controller: ${mode === "local" ? `local process (pid ${local!.proc.pid})` : `in-cluster Deployment ${CONTROLLER_NAMESPACE}/${CONTROLLER_NAME}`}`,
    );

    await createNetwork(kc, name, namespace, { implementation: "btcd", nodes: 1, topology: { type: "mesh" } });
    say("waiting for the 1-node network to settle ...");
    await poll("the network to become Ready/Wired/Synced", 180_000, async () =>
      settled(await getNetwork(kc, name, namespace)) ? true : undefined,
    );

    // Watch the StatefulSet: the moment its .spec.replicas changes is when the API server has it.
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const informer = k8s.makeInformer(kc, `/apis/apps/v1/namespaces/${namespace}/statefulsets`, () =>
      apps.listNamespacedStatefulSet({ namespace }),
    );
    let waiter: { replicas: number; resolve: (t: number) => void } | undefined;
    const check = (sts: k8s.V1StatefulSet) => {
      if (waiter && sts.metadata?.name === name && sts.spec?.replicas === waiter.replicas) {
        const w = waiter;
        waiter = undefined;
        w.resolve(performance.now());
      }
    };
    informer.on("add", check);
    informer.on("update", check);
    await informer.start();

    const samples: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const target = i % 2 === 0 ? 2 : 1;
        const seen = new Promise<number>((resolve) => (waiter = { replicas: target, resolve }));
        const t0 = performance.now();
        await patchNetworkSpec(kc, name, namespace, { nodes: target });
        const t1 = await Promise.race([
          seen,
          new Promise<number>((_, reject) =>
            setTimeout(() => reject(new Error(`run ${i + 1}: StatefulSet not scaled to ${target} within 60 s`)), 60_000),
          ),
        ]);
        samples.push(t1 - t0);
        say(`run ${i + 1}/${runs}: nodes → ${target}: StatefulSet replicas updated after ${(t1 - t0).toFixed(0)} ms; settling ...`);
        await poll(`the network to settle at ${target} nodes`, 180_000, async () => {
          const n = await getNetwork(kc, name, namespace);
          return settled(n) && n.status?.readyNodes === target ? true : undefined;
        });
      }
    } finally {
      await informer.stop();
    }

    const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
    console.log(`controller (${mode}): spec change (.spec.nodes patch) → StatefulSet .spec.replicas updated, ${runs} runs`);
    console.log(`  median ${fmt(median(samples))}   min ${fmt(Math.min(...samples))}   max ${fmt(Math.max(...samples))}`);
    console.log(`  runs: ${samples.map(fmt).join(", ")}`);
    if (local) {
      const text = await local.metrics();
      const lines = text.split("\n").filter((l) => /^regnet_controller_reconciles_total\{.*\} [1-9]/.test(l));
      console.log(`  local controller: ${lines.map((l) => l.replace("regnet_controller_reconciles_total", "reconciles")).join("  ")}`);
    }
  } finally {
    say(`cleaning up namespace ${namespace} ...`);
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await local?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${messageOf(err)}`);
    process.exit(1);
  },
);
