// Which kubeconfig regnet uses outside a cluster (the Pulumi provider and the `regnet` command alike):
// explicit contents, then an explicit path, then $REGNET_KUBECONFIG, then $KUBECONFIG (a list, merged
// as kubectl merges it), then ~/.kube/config, then in-cluster; a context may be chosen; errors name
// the setting and the fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { contextNamespace, loadKubeconfig } from "../../provider/kube/kubeconfig";
import { tempDirs } from "../support/tmp";

const dirs = tempDirs("regnet-kubeconfig-");

/** A kubeconfig file with one cluster/context named `name` (server https://<name>:6443). */
function config(dir: string, name: string, namespace?: string): string {
  const file = path.join(dir, `${name}.yaml`);
  const ns = namespace ? `, namespace: ${namespace}` : "";
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: ${name}, cluster: {server: 'https://${name}:6443'}}]\n` +
      `users: [{name: ${name}, user: {token: t}}]\ncontexts: [{name: ${name}, context: {cluster: ${name}, user: ${name}${ns}}}]\ncurrent-context: ${name}\n`,
  );
  return file;
}

const server = (choice: Parameters<typeof loadKubeconfig>[0], env: NodeJS.ProcessEnv) =>
  loadKubeconfig(choice, env).kubeConfig.getCurrentCluster()?.server;

test("the order: explicit path, $REGNET_KUBECONFIG, $KUBECONFIG, ~/.kube/config, in-cluster", () => {
  const d = dirs();
  const home = dirs();
  fs.mkdirSync(path.join(home, ".kube"));
  fs.copyFileSync(config(d, "home"), path.join(home, ".kube", "config"));
  const env = { HOME: home, REGNET_KUBECONFIG: config(d, "regnet"), KUBECONFIG: config(d, "kube") };
  assert.equal(server({ path: config(d, "flag") }, env), "https://flag:6443");
  assert.equal(server({}, env), "https://regnet:6443");
  assert.equal(server({}, { ...env, REGNET_KUBECONFIG: undefined }), "https://kube:6443");
  assert.equal(server({}, { HOME: home }), "https://home:6443");
  assert.equal(loadKubeconfig({}, { HOME: home }).source, "~/.kube/config");
  const contents = fs.readFileSync(config(d, "given"), "utf8");
  assert.equal(server({ contents, path: config(d, "flag") }, env), "https://given:6443");
  assert.throws(
    () => loadKubeconfig({}, { HOME: dirs() }),
    /no kubeconfig: pass --kubeconfig <file>, or set \$REGNET_KUBECONFIG or \$KUBECONFIG/,
  );
});

test("$KUBECONFIG lists files: merged in order, the first's current-context wins, missing ones skipped", () => {
  const d = dirs();
  const list = [path.join(d, "missing.yaml"), config(d, "a"), config(d, "b")].join(path.delimiter);
  const { kubeConfig } = loadKubeconfig({}, { HOME: dirs(), KUBECONFIG: list });
  assert.equal(kubeConfig.getCurrentCluster()?.server, "https://a:6443");
  assert.deepEqual(
    kubeConfig.getContexts().map((c) => c.name),
    ["a", "b"],
  );
  assert.throws(() => loadKubeconfig({}, { KUBECONFIG: path.join(d, "none.yaml") }), /\$KUBECONFIG: no file at .*none\.yaml/);
});

test("a context: chosen by name, refused naming the ones there are; its namespace is the default", () => {
  const d = dirs();
  const list = [config(d, "a"), config(d, "b", "regtest")].join(path.delimiter);
  const chosen = loadKubeconfig({ context: "b" }, { KUBECONFIG: list }).kubeConfig;
  assert.equal(chosen.getCurrentCluster()?.server, "https://b:6443");
  assert.equal(contextNamespace(chosen), "regtest");
  assert.equal(contextNamespace(loadKubeconfig({}, { KUBECONFIG: list }).kubeConfig), "default");
  assert.throws(() => loadKubeconfig({ context: "c" }, { KUBECONFIG: list }), /--context: no context "c" in \$KUBECONFIG .*; it has a, b/);
});

test("errors name the setting that pointed at nothing", () => {
  const d = dirs();
  assert.throws(() => loadKubeconfig({ path: path.join(d, "x") }), /--kubeconfig: no file at .*x: pass the path of a kubeconfig file/);
  assert.throws(
    () => loadKubeconfig({ path: path.join(d, "x"), pathSetting: "regnet:kubeconfigPath" }),
    /regnet:kubeconfigPath: no file at/,
  );
  assert.throws(() => loadKubeconfig({}, { REGNET_KUBECONFIG: path.join(d, "y") }), /\$REGNET_KUBECONFIG: no file at/);
  fs.writeFileSync(path.join(d, "bad"), "{ not: [yaml");
  assert.throws(() => loadKubeconfig({ path: path.join(d, "bad") }), /--kubeconfig: .*bad is not a readable kubeconfig/);
});
