// infra/pulumi/main.ts, the program `pulumi up` of the project directory runs: the Node language host
// starts it with the program's folder (infra/pulumi/) as working directory and passes the project
// root (the folder of Pulumi.yaml) as --root-directory, which the SDK's run script hands to the
// program in PULUMI_NODEJS_ROOT_DIRECTORY. What the program reads from the project (charts-out/, a
// relative kubeconfigPath for the platform's provider) it takes from that root; a network's
// kubeconfigPath is kept as written (the provider resolves it, provider/pulumi/project-dir.ts).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../sandbox/toolchain/paths";
import { CHARTS_DIR } from "../../infra/cdk8s/defaults";
import { tempDirs } from "../support/tmp";

test("main reads the project root, not the working directory; a network keeps kubeconfigPath as written", async () => {
  // A user's checkout elsewhere, with the synthesized platform in it.
  const root = tempDirs("a-users-regnet-checkout-")();
  fs.symlinkSync(path.join(repoRoot, CHARTS_DIR), path.join(root, CHARTS_DIR));
  assert.notEqual(process.cwd(), root);
  // The SDK reads it once, when @pulumi/pulumi loads: set it first, as the run script does.
  process.env.PULUMI_NODEJS_ROOT_DIRECTORY = root;
  // Loaded only now, after the variable is set (an import would load the SDK first).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { declared } = require("../support/pulumi-mocks") as typeof import("../support/pulumi-mocks");
  const registered = await declared(
    {
      "regnet:networks": JSON.stringify([{ name: "alpha", nodes: 1 }]),
      "regnet:kubeconfigPath": ".regnet/kubeconfig",
      "regnet:installPlatform": "true",
    },
    // The program runs when its module loads, as the language host runs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    () => require("../../infra/pulumi/main") as ReturnType<typeof import("../../infra/pulumi/stack").regnetStack>,
  );
  const input = (type: string, key: string) => registered.find((r) => r.type === type)?.inputs[key];
  assert.equal(input("pulumi-nodejs:dynamic/regnet:BitcoinNetwork", "kubeconfigPath"), ".regnet/kubeconfig");
  assert.equal(input("pulumi:providers:kubernetes", "kubeconfig"), path.join(root, ".regnet", "kubeconfig"));
  assert.ok((input("kubernetes:yaml/v2:ConfigGroup", "files") as string[]).every((f) => f.startsWith(path.join(root, CHARTS_DIR))));
});
