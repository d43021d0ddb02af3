// Issue 12's battery, "Secrets, RBAC and Pod Security", on real nodes in the sandbox: a Bitcoin
// Core network made through Pulumi (kubeconfig given as a secret) and a btcd network made by the
// controller of charts-out/, each with the interval miner and each in a namespace labelled
// pod-security.kubernetes.io/enforce=restricted. Checks: the API server's Pod Security admission
// lets the node pods and the controller in (and refuses a pod that is not restricted); the
// controller's ServiceAccount may do exactly what it needs (the matrix of test/support/rbac.ts);
// the RPC passwords and the kubeconfig's credential are in no Pulumi state or log, pod spec,
// process argv or environment, container or controller log, Event or status. Ends with one line:
// `secrets-rbac-pss: N checks, P passed`.
// The node runner runs pods as root and ignores securityContext users and fsGroup
// (sandbox/runner/README.md): that a node works as its non-root user on an fsGroup volume is
// checked by running each network's node program on the host as the pod spec says
// (test/support/nonroot.ts), not inside the pods.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Stack } from "@pulumi/pulumi/automation";
import { applyPlatform, CONTROLLER_NAME, CONTROLLER_NAMESPACE, createNetwork, getNetwork, kubectl, settled } from "../../bench/harness";
import { readCredentials } from "../../provider/engine/desired";
import { currentInstance } from "../../sandbox/cluster/instance";
import { NET, netnsName } from "../../sandbox/runner/netns";
import { chartObjects } from "../integration/platform-helpers";
import { kubeConfig, kubeconfigPath, tempNamespace, waitFor } from "../support/cluster";
import { runAsPodUser } from "../support/nonroot";
import { missing } from "../support/prereqs";
import { messageOf } from "../../provider/errors";
import { closeTestStack, networkResources, openTestStack, type TestStack } from "../support/pulumi";
import { actAs, controllerChecks, matrix } from "../support/rbac";
import { kubeconfigCredentials, passwordForms, placesHolding } from "../support/secrets";
import { CHART_IDS } from "../../infra/cdk8s/defaults";

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const skip = missing("bitcoin-core");
const RESTRICTED = { "pod-security.kubernetes.io/enforce": "restricted" };
const CORE_NET = "pss-core";
const BTCD_NET = "pss-btcd";

let pulumi: TestStack | undefined;
let stack: Stack;
let ctlNs: { name: string; cleanup: () => Promise<void> };
let coreOutputs: Record<string, { value: unknown }> = {};

/** Each network: its namespace, and what its RPC password looks like in every form it could leak in. */
const networks = () => [
  { name: CORE_NET, namespace: pulumi!.ns.name },
  { name: BTCD_NET, namespace: ctlNs.name },
];

async function passwordNeedles(): Promise<string[]> {
  const all = await Promise.all(
    networks().map(async (n) => {
      const creds = readCredentials(await core.readNamespacedSecret({ name: `${n.name}-rpc`, namespace: n.namespace }));
      assert.ok(creds && creds.password.length >= 16, `${n.name}-rpc holds the network's credentials`);
      return passwordForms(creds.user, creds.password);
    }),
  );
  return all.flat();
}

async function networkPods(): Promise<k8s.V1Pod[]> {
  const lists = await Promise.all(
    networks().map((n) => core.listNamespacedPod({ namespace: n.namespace, labelSelector: `regnet.dev/network=${n.name}` })),
  );
  return lists.flatMap((l) => l.items);
}

/** Why the StatefulSet controller could not make pods (Pod Security refusals land here). */
async function podRefusals(namespace: string): Promise<string[]> {
  const events = await core.listNamespacedEvent({ namespace });
  return events.items.filter((e) => e.reason === "FailedCreate").map((e) => `${e.involvedObject.name}: ${e.message}`);
}

async function restrict(namespace: string): Promise<void> {
  await core.patchNamespace(
    { name: namespace, body: { metadata: { labels: RESTRICTED } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

// ---- the battery: every check is counted in the summary line ----
const checks: string[] = [];
const outcomes = new Map<string, boolean>();

function check(name: string, fn: () => Promise<void>): void {
  checks.push(name);
  test(name, { skip }, async () => {
    try {
      await fn();
      outcomes.set(name, true);
    } catch (err) {
      outcomes.set(name, false);
      throw err;
    }
  });
}

before(async () => {
  if (skip) return;
  await applyPlatform(); // charts-out/: CRD, RBAC, and the controller in regnet-system (enforce=restricted)
  pulumi = await openTestStack(
    "pss-pulumi",
    "pss",
    (namespace) => ({
      namespace,
      kubeconfig: fs.readFileSync(kubeconfigPath, "utf8"),
      networks: [{ name: CORE_NET, nodes: 1, mining: { initialBlocks: 101, intervalSeconds: 5 } }],
      convergeTimeoutSeconds: 120,
    }),
    ["kubeconfig"],
  );
  stack = pulumi.stack;
  ctlNs = await tempNamespace("pss-ctl");
  await Promise.all([restrict(pulumi.ns.name), restrict(ctlNs.name)]);
});

after(async () => {
  await closeTestStack(pulumi, { destroy: true });
  await ctlNs?.cleanup();
  const failed = checks.filter((c) => outcomes.get(c) === false);
  const notRun = checks.filter((c) => !outcomes.has(c));
  const passed = checks.length - failed.length - notRun.length;
  console.log(
    `secrets-rbac-pss: ${checks.length} checks, ${passed} passed` +
      (failed.length ? `, ${failed.length} FAILED (${failed.join("; ")})` : "") +
      (notRun.length ? `, ${notRun.length} not run (${skip || "see above"})` : ""),
  );
});

check("Pod Security admission enforces 'restricted' here: a pod with no securityContext is refused", async () => {
  const refused = await core
    .createNamespacedPod({
      namespace: ctlNs.name,
      dryRun: "All",
      body: { metadata: { name: "pss-probe" }, spec: { containers: [{ name: "c", image: "busybox:1.36", command: ["true"] }] } },
    })
    .then(
      () => undefined,
      (err: { code?: number; body?: unknown }) => err,
    );
  assert.ok(refused, "the API server admitted a pod that is not 'restricted'");
  assert.equal(refused.code, 403);
  assert.match((JSON.parse(String(refused.body)) as { message: string }).message, /violates PodSecurity "restricted:latest"/);
});

check("the controller (charts-out as committed) is admitted under 'restricted' and runs in regnet-system", async () => {
  const labels = (await core.readNamespace({ name: CONTROLLER_NAMESPACE })).metadata?.labels ?? {};
  assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
  // A pod admitted before the label would not be re-checked: admit the Deployment's template anew
  // (a dry run: nothing is stored).
  const deployment = chartObjects(`${CHART_IDS.controller}.k8s.yaml`).find((o) => o.kind === "Deployment") as k8s.V1Deployment;
  const { metadata, spec } = deployment.spec!.template;
  await core.createNamespacedPod({
    namespace: CONTROLLER_NAMESPACE,
    dryRun: "All",
    body: { metadata: { ...metadata, name: "controller-pss" }, spec },
  });
  await kubectl(["rollout", "status", `deployment/${CONTROLLER_NAME}`, "-n", CONTROLLER_NAMESPACE, "--timeout=120s"], 130_000);
});

check("a Bitcoin Core network (Pulumi, interval miner) in a 'restricted' namespace: pods admitted and Ready", async () => {
  try {
    const up = await stack.up({ color: "never" });
    coreOutputs = up.outputs;
  } catch (err) {
    throw new Error(`pulumi up failed; pod refusals: ${JSON.stringify(await podRefusals(pulumi!.ns.name))}\n${messageOf(err)}`, {
      cause: err,
    });
  }
  const net = (coreOutputs.networks.value as Record<string, { readyNodes: number; height: number }>)[CORE_NET];
  assert.deepEqual([net.readyNodes, net.height >= 101], [1, true]);
  assert.deepEqual(await podRefusals(pulumi!.ns.name), []);
});

check("a btcd network (the controller, interval miner) in a 'restricted' namespace: pods admitted and Ready", async () => {
  await createNetwork(kc, BTCD_NET, ctlNs.name, { implementation: "btcd", nodes: 2, mining: { initialBlocks: 101, intervalSeconds: 5 } });
  try {
    await waitFor(
      `${BTCD_NET} Ready, Wired and Synced with 2 nodes`,
      async () => {
        const n = await getNetwork(kc, BTCD_NET, ctlNs.name);
        return settled(n) && n.status?.readyNodes === 2 ? n : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
  } catch (err) {
    throw new Error(`${messageOf(err)}; pod refusals: ${JSON.stringify(await podRefusals(ctlNs.name))}`, { cause: err });
  }
  assert.deepEqual(await podRefusals(ctlNs.name), []);
});

check(
  "node pods run as the image's non-root user; fsGroup owns the data volume; no escalation, capabilities or unconfined seccomp",
  async () => {
    const pods = await networkPods();
    assert.equal(pods.length, 3, pods.map((p) => p.metadata!.name).join(", "));
    for (const p of pods) {
      const name = p.metadata!.name!;
      const sc = p.spec!.securityContext ?? {};
      const uid = p.spec!.containers[0].image!.startsWith("bitcoin/bitcoin") ? 101 : 1000; // the images' users
      assert.deepEqual(
        {
          runAsNonRoot: sc.runAsNonRoot,
          runAsUser: sc.runAsUser,
          runAsGroup: sc.runAsGroup,
          fsGroup: sc.fsGroup,
          seccomp: sc.seccompProfile?.type,
        },
        { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccomp: "RuntimeDefault" },
        name,
      );
      assert.deepEqual(
        p.spec!.containers.map((c) => c.name),
        ["node", "miner"],
        name,
      );
      for (const c of p.spec!.containers) {
        assert.deepEqual(
          {
            allowPrivilegeEscalation: c.securityContext?.allowPrivilegeEscalation,
            drop: c.securityContext?.capabilities?.drop,
            add: c.securityContext?.capabilities?.add,
          },
          { allowPrivilegeEscalation: false, drop: ["ALL"], add: undefined },
          `${name}/${c.name}`,
        );
      }
    }
  },
);

check("RBAC: the controller's ServiceAccount may do exactly the verbs it needs", async () => {
  const request = await actAs(CONTROLLER_NAMESPACE, CONTROLLER_NAME);
  await matrix(
    `system:serviceaccount:${CONTROLLER_NAMESPACE}:${CONTROLLER_NAME} (charts-out as committed)`,
    request,
    controllerChecks(ctlNs.name),
  );
});

check("Pulumi: the state, config and provider log hold neither the RPC password nor the kubeconfig's credential", async () => {
  const credentials = kubeconfigCredentials(kubeconfigPath);
  assert.ok(credentials.length > 0, "the sandbox kubeconfig carries a client key or token");
  const root = pulumi!.root;
  const files = fs
    .readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((f) => path.join(root, f))
    .filter((f) => fs.statSync(f).isFile());
  assert.ok(
    files.some((f) => f.endsWith(path.join("stacks", "regnet", "pss.json"))),
    `the stack's state file is searched: ${files.join(", ")}`,
  );
  assert.ok(files.includes(pulumi!.logFile), "the provider's log is searched");
  const places = Object.fromEntries(files.map((f) => [path.relative(root, f), fs.readFileSync(f, "utf8")]));
  assert.deepEqual(placesHolding(places, [...(await passwordNeedles()), ...credentials]), []);
});

check("pod specs and StatefulSets hold no RPC password", async () => {
  const needles = await passwordNeedles();
  const places: Record<string, string> = {};
  for (const n of networks()) {
    places[`statefulset ${n.name}`] = JSON.stringify(await apps.readNamespacedStatefulSet({ name: n.name, namespace: n.namespace }));
  }
  for (const p of await networkPods()) places[`pod ${p.metadata!.name}`] = JSON.stringify(p);
  assert.equal(Object.keys(places).length, 5);
  assert.deepEqual(placesHolding(places, needles), []);
});

check("no process's argv, and no node pod process's environment, holds an RPC password", async () => {
  const needles = await passwordNeedles();
  const argv = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8", maxBuffer: 16 << 20 });
  // The pods' own processes: everything in their network namespaces (node, miner, probes).
  const net = { ...NET, netnsPrefix: currentInstance().netnsPrefix };
  const places: Record<string, string> = { "ps -eo pid,args": argv };
  for (const p of await networkPods()) {
    const pids = execFileSync("ip", ["netns", "pids", netnsName(p.metadata!.uid!, net)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    // A probe's or the miner's short-lived process may exit between the listing and the read:
    // skipped then (the node itself runs on, and is required below).
    const procs = pids.flatMap((pid) => {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ");
        return [{ pid, cmd, environ: fs.readFileSync(`/proc/${pid}/environ`, "latin1") }];
      } catch (err) {
        if (["ENOENT", "ESRCH"].includes((err as NodeJS.ErrnoException).code ?? "")) return [];
        throw err;
      }
    });
    const program = p.spec!.containers[0].command![0];
    assert.ok(
      procs.some((c) => path.basename(c.cmd.split(" ")[0]) === program),
      `${p.metadata!.name} runs ${program}: ${procs.map((c) => c.cmd).join(" | ")}`,
    );
    for (const { pid, environ } of procs) places[`${p.metadata!.name} pid ${pid} environ`] = environ;
  }
  assert.deepEqual(placesHolding(places, needles), []);
});

check("no node, miner or controller log holds an RPC password", async () => {
  const needles = await passwordNeedles();
  const places: Record<string, string> = {};
  for (const p of await networkPods()) {
    for (const c of p.spec!.containers) {
      places[`${p.metadata!.name}/${c.name}`] = await kubectl(["logs", p.metadata!.name!, "-n", p.metadata!.namespace!, "-c", c.name]);
    }
  }
  // Every controller pod's log: controller-incluster.test.ts, which may run alongside, kills and
  // scales the shared controller, so the one that reconciled this network may be gone.
  const controllerLog = await kubectl([
    "logs",
    "-n",
    CONTROLLER_NAMESPACE,
    "-l",
    `app.kubernetes.io/name=${CONTROLLER_NAME}`,
    "--tail=-1",
    "--prefix",
  ]);
  assert.match(controllerLog, /"msg":"reconcile done"/, "the controller's log is read and shows its reconciles");
  places["controller"] = controllerLog;
  assert.ok(places[`${CORE_NET}-0/node`].length > 0, "bitcoind logs to the console");
  assert.deepEqual(placesHolding(places, needles), []);
});

check("no Event holds an RPC password (the networks' namespaces and regnet-system)", async () => {
  const needles = await passwordNeedles();
  const places: Record<string, string> = {};
  for (const namespace of [...networks().map((n) => n.namespace), CONTROLLER_NAMESPACE]) {
    for (const e of (await core.listNamespacedEvent({ namespace })).items)
      places[`${namespace} event ${e.metadata.name}`] = JSON.stringify(e);
  }
  const fromController = Object.values(places).filter((e) => e.includes('"kind":"BitcoinNetwork"'));
  assert.ok(fromController.length > 0, "the controller recorded Events on the BitcoinNetwork");
  assert.deepEqual(placesHolding(places, needles), []);
});

check("no status holds an RPC password: the BitcoinNetwork's status, the Pulumi outputs", async () => {
  const needles = await passwordNeedles();
  const cr = await getNetwork(kc, BTCD_NET, ctlNs.name);
  assert.equal(cr.status?.nodes?.length, 2, "the status lists the nodes");
  const [resource] = await networkResources(stack);
  assert.equal(resource?.outputs.nodes?.length, 1, "the resource's outputs list the node");
  const places = {
    "BitcoinNetwork status": JSON.stringify(cr.status),
    "stack outputs": JSON.stringify(coreOutputs),
    "resource outputs": JSON.stringify(resource.outputs),
  };
  assert.deepEqual(placesHolding(places, needles), []);
});

check("each node works as its pod's non-root user on a volume prepared for fsGroup (run on the host, as the runner cannot)", async () => {
  for (const n of networks()) {
    const pod = await core.readNamespacedPod({ name: `${n.name}-0`, namespace: n.namespace });
    const secretName = pod.spec!.volumes!.find((v) => v.secret)!.secret!.secretName!;
    const secret = await core.readNamespacedSecret({ name: secretName, namespace: n.namespace });
    const ready = pod.spec!.containers[0].command![0] === "btcd" ? /RPC server listening on/ : /init message: Done loading/;
    const run = await runAsPodUser(pod, secret, ready);
    assert.deepEqual(
      run.dataOwners,
      [pod.spec!.securityContext!.runAsUser],
      `${n.name}: what the node wrote in its data folder is its user's`,
    );
  }
});
