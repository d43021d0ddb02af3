// The controller Deployment as synthesized, run in the sandbox (the node runner runs the image's
// entry point): a second install of the platform (its own namespace, ServiceAccount and RBAC;
// `--namespace` keeps it to one namespace of networks, so it never touches other tests') must pass
// Pod Security "restricted", become ready (caches synced through the mounted token and the RBAC),
// win its Lease, and — with nothing but the RBAC of the chart — bring a btcd network to ready.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { testApp } from "../support/cdk8s";
import { GROUP, PLURAL, VERSION } from "../../provider/spec";
import type { NetworkStatus } from "../../provider/engine";
import { definePlatform } from "../../infra/cdk8s/app";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { refusals } from "../support/controller-log";
import { applyPlatform, kubectl, toYaml, type Manifest } from "./platform-helpers";

test("the synthesized controller runs in the sandbox and, with the chart's RBAC only, makes a network ready", async (t) => {
  applyPlatform(); // the CRD it watches
  const home = await tempNamespace("platform-ctl");
  // The network's pods are the engine's, not held to "restricted": they live next door.
  const nets = await tempNamespace("platform-ctl-net");
  const name = home.name.replace("platform-ctl", "rn-ctl");
  t.after(async () => {
    kubectl(["delete", "clusterrole,clusterrolebinding", name, "--ignore-not-found"], { allowFail: true });
    await Promise.all([home.cleanup(), nets.cleanup()]);
  });
  const { cluster, controller } = definePlatform(testApp(), { namespace: home.name, name, controllerArgs: ["--namespace", nets.name] });
  // Everything but the CRD (shared, applied above); the Namespace object labels the temp namespace
  // with pod-security enforce=restricted before the Deployment's pod is admitted.
  const objects = [...(cluster.toJson() as Manifest[]), ...(controller.toJson() as Manifest[])].filter(
    (o) => o.kind !== "CustomResourceDefinition",
  );
  kubectl(["apply", "--server-side", "-f", "-"], { input: toYaml(objects) });

  const nsLabels = JSON.parse(kubectl(["get", "namespace", home.name, "-o", "jsonpath={.metadata.labels}"]).stdout) as Record<
    string,
    string
  >;
  assert.equal(nsLabels["pod-security.kubernetes.io/enforce"], "restricted");

  const rollout = kubectl(["rollout", "status", `deployment/${name}`, "-n", home.name, "--timeout=120s"], { allowFail: true });
  const pods = kubectl(["get", "pods", "-n", home.name, "-o", "wide"], { allowFail: true }).stdout;
  console.log(`${rollout.stdout}${rollout.stderr}${pods}`);
  if (rollout.code !== 0) {
    const events = kubectl(["get", "events", "-n", home.name, "--sort-by=.lastTimestamp"], { allowFail: true }).stdout;
    assert.fail(`the controller Deployment did not become ready:\n${rollout.stderr}\n${events}`);
  }

  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const [pod] = (await core.listNamespacedPod({ namespace: home.name, labelSelector: "app.kubernetes.io/component=controller" })).items;
  assert.ok(pod, "the controller pod exists");
  assert.ok(
    (pod.spec?.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken)),
    "the pod has a service-account token volume",
  );
  const leases = kubeConfig().makeApiClient(k8s.CoordinationV1Api);
  const holder = await waitFor("the controller to hold its Lease", async () => {
    const lease = await leases.readNamespacedLease({ namespace: home.name, name: "regnet-controller" });
    return lease.spec?.holderIdentity || undefined;
  });
  console.log(`lease ${home.name}/regnet-controller held by ${holder}`);
  assert.ok(holder.startsWith(`${pod.metadata!.name}_`), `the Lease is held by the pod ${pod.metadata!.name}, not ${holder}`);

  // The controller reconciles a network with exactly the chart's RBAC: StatefulSet, Service and
  // Secret created, pods read, status written through /status, Events recorded.
  const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: nets.name,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "BitcoinNetwork",
      metadata: { name: "ring" },
      spec: { implementation: "btcd", nodes: 2 },
    },
  });
  const started = Date.now();
  try {
    await waitFor(
      "the in-cluster controller to make network ring ready, wired and synced",
      async () => {
        const net = (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: nets.name,
          name: "ring",
        })) as { status?: NetworkStatus };
        const s = net.status;
        return s && s.readyNodes === 2 && s.wired && s.synced && s.height >= 101 ? s : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
  } finally {
    console.log(kubectl(["get", "bitcoinnetworks,statefulsets,pods,secrets", "-n", nets.name], { allowFail: true }).stdout);
  }
  console.log(`network ring ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // A controller installed cluster-wide in regnet-system (by another test) may reconcile this
  // network too; this pod's own counters and logs say what *it* did, with its own RBAC.
  const metrics = await (await fetch(`http://${pod.status!.podIP}:8080/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const count = (result: string) =>
    Number(new RegExp(`^regnet_controller_reconciles_total\\{result="${result}"\\} (\\d+)`, "m").exec(metrics)?.[1]);
  console.log(`this controller's reconciles: success ${count("success")}, requeue ${count("requeue")}, error ${count("error")}`);
  assert.ok(count("success") + count("requeue") >= 1, "this controller reconciled the network");
  const logs = kubectl(["logs", `deployment/${name}`, "-n", home.name]).stdout;
  assert.match(logs, /"msg":"reconcile done"/, "the controller's log is readable and shows its reconciles");
  assert.deepEqual(refusals(logs), [], "the controller was refused a request");
});
