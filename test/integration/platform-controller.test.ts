// The controller Deployment as synthesized, run in the sandbox: a second install of the platform
// (its own namespace, ServiceAccount and RBAC; `--namespace` keeps it to that namespace, so it
// never touches other tests' networks) must pass Pod Security "restricted", become ready (its
// caches synced through the mounted token and the RBAC), and win its Lease.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { Testing } from "cdk8s";
import { definePlatform } from "../../infra/cdk8s/app";
import { kubeConfig, tempNamespace, waitFor } from "../support/cluster";
import { applyPlatform, kubectl, toYaml, type Manifest } from "./platform-helpers";

test("the synthesized controller Deployment runs: restricted pod security, ready, holding its Lease", async (t) => {
  applyPlatform(); // the CRD it watches
  const home = await tempNamespace("platform-ctl");
  const name = home.name.replace("platform-ctl", "rn-ctl");
  t.after(async () => {
    kubectl(["delete", "clusterrole,clusterrolebinding", name, "--ignore-not-found"], { allowFail: true });
    await home.cleanup();
  });
  const { cluster, controller } = definePlatform(Testing.app(), { namespace: home.name, name, controllerArgs: ["--namespace", home.name] });
  // Everything but the CRD (shared, applied above); the Namespace object labels the temp namespace
  // with pod-security enforce=restricted before the Deployment's pod is admitted.
  const objects = [...cluster.toJson(), ...controller.toJson()].filter((o: Manifest) => o.kind !== "CustomResourceDefinition") as Manifest[];
  kubectl(["apply", "--server-side", "-f", "-"], { input: toYaml(objects) });

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
});
