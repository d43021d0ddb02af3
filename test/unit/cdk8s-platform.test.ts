// The cdk8s platform constructs: snapshots of every chart's YAML, and the properties the issue asks
// for checked one by one (so a snapshot update cannot quietly drop one).
import { test, snapshot } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Chart, Yaml } from "cdk8s";
import { testApp } from "../support/cdk8s";
import { defineExamples, definePlatform } from "../../infra/cdk8s/app";
import { ExampleNetworksChart } from "../../infra/cdk8s/example-networks-chart";
import { packageVersion } from "../../infra/cdk8s/defaults";
import type * as k8s from "@kubernetes/client-node";
import { crdOpenApiSchema, GROUP, PLURAL, validateSpec, type BitcoinNetworkSpecInput } from "../../provider/spec";

// Snapshots live next to this file's source (dist/ is not committed).
snapshot.setResolveSnapshotPath((testFile) =>
  path.resolve(__dirname, "..", "..", "..", "test", "unit", `${path.basename(testFile ?? "cdk8s", ".js")}.ts.snapshot`),
);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

function manifests<T = Manifest>(chart: Chart): (Manifest & T)[] {
  return chart.toJson() as (Manifest & T)[];
}

/** The one `kind` (named `name`) in the chart, typed as the API object it is. */
function find<T>(chart: Chart, kind: string, name?: string): Manifest & T {
  const found = manifests<T>(chart).filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  assert.equal(found.length, 1, `want exactly one ${kind}${name ? ` ${name}` : ""}, got ${found.length}`);
  return found[0];
}

const controllerOf = (app: ReturnType<typeof testApp>) => definePlatform(app).controller;

const CLUSTER_SCOPED = new Set(["CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterRoleBinding"]);

test("each chart's YAML matches its snapshot", async (t) => {
  // One app with every chart: the snapshots do not depend on which folder a chart is written to.
  const app = testApp();
  definePlatform(app);
  defineExamples(app);
  for (const chart of app.charts) {
    await t.test(chart.node.id, (st) => {
      st.assert.snapshot(Yaml.stringify(...manifests(chart)), { serializers: [(v) => v as string] });
    });
  }
});

test("cluster-scoped objects carry no namespace; namespaced platform objects are in regnet-system", () => {
  const { cluster, controller } = definePlatform(testApp());
  for (const m of manifests(cluster)) {
    assert.ok(CLUSTER_SCOPED.has(m.kind), `${m.kind} ${m.metadata.name} belongs in the namespaced chart`);
    assert.equal(m.metadata.namespace, undefined, `${m.kind} ${m.metadata.name} is cluster-scoped`);
  }
  const kinds = manifests(controller)
    .map((m) => `${m.kind}/${m.metadata.name}`)
    .sort();
  assert.deepEqual(kinds, [
    "Deployment/regnet-controller",
    "Role/regnet-controller-leader-election",
    "RoleBinding/regnet-controller-leader-election",
    "ServiceAccount/regnet-controller",
  ]);
  for (const m of manifests(controller)) assert.equal(m.metadata.namespace, "regnet-system", `${m.kind} ${m.metadata.name}`);
});

test("the CRD's schema is the spec's own, with status and scale subresources, columns, short name, category", () => {
  const { cluster } = definePlatform(testApp());
  const crd = find<k8s.V1CustomResourceDefinition>(cluster, "CustomResourceDefinition");
  assert.equal(crd.metadata.name, `${PLURAL}.${GROUP}`);
  assert.equal(crd.spec.versions.length, 1);
  const v = crd.spec.versions[0];
  assert.equal(v.name, "v1alpha1");
  assert.deepEqual(v.schema?.openAPIV3Schema, crdOpenApiSchema());
  assert.deepEqual(v.subresources, {
    status: {},
    scale: { specReplicasPath: ".spec.nodes", statusReplicasPath: ".status.readyNodes", labelSelectorPath: ".status.selector" },
  });
  const printerColumns = v.additionalPrinterColumns ?? [];
  const columns = printerColumns.filter((c) => !c.priority).map((c) => c.name.toUpperCase());
  assert.deepEqual(columns, ["NODES", "READY", "WIRED", "SYNCED", "HEIGHT", "AGE"]);
  // Every column points at a field the schema has (a typo would print an empty column forever).
  for (const c of printerColumns) {
    if (c.jsonPath.startsWith(".metadata.")) continue;
    let node: k8s.V1JSONSchemaProps | undefined = v.schema?.openAPIV3Schema;
    for (const part of c.jsonPath.slice(1).split(".")) node = node?.properties?.[part];
    assert.ok(node, `printer column ${c.jsonPath} is not in the schema`);
  }
  assert.deepEqual(crd.spec.names.shortNames, ["btcnet"]);
  assert.deepEqual(crd.spec.names.categories, ["regnet"]);
  assert.equal(crd.spec.scope, "Namespaced");
});

test("the controller Deployment: 1 replica, token mounted, non-root, read-only root fs, probes, resources, image", () => {
  const { controller } = definePlatform(testApp());
  const d = find<k8s.V1Deployment>(controller, "Deployment", "regnet-controller");
  assert.equal(d.spec?.replicas, 1);
  const pod = d.spec?.template.spec;
  assert.equal(pod?.automountServiceAccountToken, true);
  assert.equal(pod?.serviceAccountName, "regnet-controller");
  assert.equal(pod?.securityContext?.runAsNonRoot, true);
  assert.equal(pod?.containers.length, 1);
  const c = pod?.containers[0];
  assert.equal(c?.image, `ghcr.io/regnet-dev/regnet-controller:${packageVersion()}`);
  assert.equal(c?.imagePullPolicy, "IfNotPresent");
  assert.equal(c?.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(c?.securityContext?.runAsNonRoot, true);
  assert.equal(c?.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(c?.livenessProbe?.httpGet?.path, "/healthz");
  assert.equal(c?.readinessProbe?.httpGet?.path, "/readyz");
  assert.equal(c?.livenessProbe?.httpGet?.port, 8080);
  // Lenient liveness: a slow answer on a loaded node is not a hung process (npm run bench saw the
  // 1 s default kill a busy controller four times in one run).
  assert.ok((c?.livenessProbe?.timeoutSeconds ?? 1) >= 5, "liveness timeout ≥ 5 s");
  assert.ok(
    (c?.livenessProbe?.periodSeconds ?? 10) * (c?.livenessProbe?.failureThreshold ?? 3) >= 60,
    "a minute of misses before a restart",
  );
  assert.ok((c?.readinessProbe?.timeoutSeconds ?? 1) >= 5, "readiness timeout ≥ 5 s");
  assert.ok(c?.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory, "requests and a memory limit");
  // The selector must not depend on the construct path (it is immutable on a live Deployment).
  for (const [k, v] of Object.entries(d.spec?.selector.matchLabels ?? {})) {
    assert.ok(!k.startsWith("cdk8s.io/"), `selector label ${k}`);
    assert.equal(d.spec?.template.metadata?.labels?.[k], v);
  }
});

test("image, tag, namespace and name are chart props", () => {
  const { cluster, controller } = definePlatform(testApp(), {
    image: "registry.example/regnet",
    tag: "dev",
    namespace: "ops",
    name: "rn",
  });
  const d = find<k8s.V1Deployment>(controller, "Deployment", "rn");
  assert.equal(d.metadata.namespace, "ops");
  assert.equal(d.spec?.template.spec?.containers[0].image, "registry.example/regnet:dev");
  assert.equal(d.spec?.template.spec?.serviceAccountName, "rn");
  find(cluster, "Namespace", "ops");
  const binding = find<k8s.V1ClusterRoleBinding>(cluster, "ClusterRoleBinding", "rn");
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "rn", namespace: "ops" }]);
  assert.equal(find<k8s.V1RoleBinding>(controller, "RoleBinding").subjects?.[0].namespace, "ops");
});

test("secretNamespaces moves the Secret verbs out of the ClusterRole into per-namespace RoleBindings", () => {
  const hasSecrets = (role: k8s.V1ClusterRole) => (role.rules ?? []).some((r) => r.resources?.includes("secrets"));
  const wide = definePlatform(testApp()).cluster;
  assert.ok(hasSecrets(find<k8s.V1ClusterRole>(wide, "ClusterRole", "regnet-controller")));
  assert.equal(manifests(wide).filter((m) => m.kind === "RoleBinding").length, 0);

  const scopedPlatform = definePlatform(testApp(), { secretNamespaces: ["team-a", "team-b"] });
  const scoped = scopedPlatform.cluster;
  // The controller is told, and watches Secrets only where it may list them.
  const d = find<k8s.V1Deployment>(scopedPlatform.controller, "Deployment", "regnet-controller");
  assert.deepEqual(d.spec?.template.spec?.containers[0].args, ["--secret-namespaces=team-a,team-b"]);
  assert.equal(
    find<k8s.V1Deployment>(controllerOf(testApp()), "Deployment", "regnet-controller").spec?.template.spec?.containers[0].args,
    undefined,
  );
  assert.ok(!hasSecrets(find<k8s.V1ClusterRole>(scoped, "ClusterRole", "regnet-controller")));
  assert.ok(hasSecrets(find<k8s.V1ClusterRole>(scoped, "ClusterRole", "regnet-controller-secrets")));
  const bindings = manifests<k8s.V1RoleBinding>(scoped).filter((m) => m.kind === "RoleBinding");
  assert.deepEqual(
    bindings.map((b) => b.metadata.namespace),
    ["team-a", "team-b"],
  );
  for (const b of bindings)
    assert.deepEqual(b.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "regnet-controller-secrets" });
});

test("the example networks are a 3-node btcd ring and a Bitcoin Core network, and the engine accepts both", () => {
  const chart = new ExampleNetworksChart(testApp(), "examples");
  const nets = manifests<{ spec: BitcoinNetworkSpecInput }>(chart).filter((m) => m.kind === "BitcoinNetwork");
  assert.equal(nets.length, 2);
  for (const n of nets) {
    assert.equal(n.apiVersion, "regnet.dev/v1alpha1");
    assert.equal(n.metadata.namespace, "regnet-examples");
    const v = validateSpec(n.spec);
    assert.ok(v.ok, `${n.metadata.name}: ${JSON.stringify(!v.ok && v.issues)}`);
  }
  const btcd = nets.find((n) => n.spec.implementation === "btcd");
  assert.deepEqual([btcd?.spec.nodes, btcd?.spec.topology?.type], [3, "ring"]);
  assert.ok(nets.some((n) => n.spec.implementation === "bitcoin-core"));
  find(chart, "Namespace", "regnet-examples");
});
