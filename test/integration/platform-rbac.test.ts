// The controller's RBAC, proven by acting as its ServiceAccount (test/support/rbac.ts): every verb
// the controller uses must be allowed, a sample of others denied. Prints the matrix.
import { after, before, test } from "node:test";
import { testApp } from "../support/cdk8s";
import { definePlatform } from "../../infra/cdk8s/app";
import { tempNamespace } from "../support/cluster";
import { ALL, actAs, controllerChecks, crud, matrix, named } from "../support/rbac";
import { applyPlatform, kubectl, toYaml, type Manifest } from "./platform-helpers";

let ns: { name: string; cleanup: () => Promise<void> };

before(async () => {
  applyPlatform();
  ns = await tempNamespace("platform-rbac");
});
after(async () => {
  await ns?.cleanup();
});

test("the controller's ServiceAccount may do exactly what the controller does", async () => {
  const request = await actAs("regnet-system", "regnet-controller");
  await matrix("system:serviceaccount:regnet-system:regnet-controller (charts-out as committed)", request, controllerChecks(ns.name));
});

test("with secretNamespaces, Secrets outside the listed namespaces are forbidden", async (t) => {
  const home = await tempNamespace("platform-rbac-ctl");
  const nets = await tempNamespace("platform-rbac-net");
  const name = home.name.replace("platform-rbac-ctl", "rn-scoped");
  const { cluster, controller } = definePlatform(testApp(), { namespace: home.name, name, secretNamespaces: [nets.name] });
  // The RBAC objects and the ServiceAccount of a second, scoped install (same CRD; no Deployment).
  const objects = [...(cluster.toJson() as Manifest[]), ...(controller.toJson() as Manifest[])].filter(
    (o) => !["CustomResourceDefinition", "Namespace", "Deployment"].includes(o.kind),
  );
  t.after(async () => {
    kubectl(["delete", "clusterrole", name, `${name}-secrets`, "--ignore-not-found"], { allowFail: true });
    kubectl(["delete", "clusterrolebinding", name, "--ignore-not-found"], { allowFail: true });
    await Promise.all([home.cleanup(), nets.cleanup()]);
  });
  kubectl(["apply", "--server-side", "-f", "-"], { input: toYaml(objects) });

  const secrets = (namespace: string) => `/api/v1/namespaces/${namespace}/secrets`;
  const request = await actAs(home.name, name);
  await matrix(`system:serviceaccount:${home.name}:${name} (secretNamespaces: [${nets.name}])`, request, [
    ...crud(`secrets in ${nets.name} (listed)`, secrets(nets.name), named("Secret", "v1"), ALL, true),
    ...crud(`services in ${nets.name}`, `/api/v1/namespaces/${nets.name}/services`, undefined, ["get"], true),
    ...crud(
      "secrets in kube-system (not its own)",
      secrets("kube-system"),
      named("Secret", "v1"),
      ["get", "list", "create", "delete"],
      false,
    ),
    ...crud(`secrets in ${home.name} (not listed)`, secrets(home.name), undefined, ["get", "list"], false),
    { what: "list secrets, all namespaces", method: "GET", path: "/api/v1/secrets", allow: false },
  ]);
});
