// A relative kubeconfigPath is the project's: resolved in the provider process against the folder of
// Pulumi.yaml (found up from where the CLI starts the provider), or $REGNET_PROJECT_DIR.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { kubeconfigFile, projectDir } from "../../provider/pulumi/project-dir";
import { tempDirs } from "../support/tmp";

test("the project is the nearest folder up with a Pulumi.yaml; $REGNET_PROJECT_DIR wins; an absolute path stays", () => {
  const project = tempDirs("regnet-project-")();
  fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: x\nruntime: nodejs\n");
  const program = path.join(project, "infra", "pulumi");
  fs.mkdirSync(program, { recursive: true });
  assert.equal(projectDir({}, program), project);
  assert.equal(kubeconfigFile(".regnet/kubeconfig", {}, program), path.join(project, ".regnet", "kubeconfig"));
  assert.equal(kubeconfigFile(".regnet/kubeconfig", { REGNET_PROJECT_DIR: "/elsewhere" }, program), "/elsewhere/.regnet/kubeconfig");
  assert.equal(kubeconfigFile("/abs/kc", {}, program), "/abs/kc");
  // No Pulumi.yaml up the tree: the working directory.
  const loose = tempDirs("regnet-loose-")();
  assert.equal(projectDir({}, loose), loose);
});
