// infra/pulumi/main.ts, the program `pulumi up` of the project directory runs: the Node language host
// starts it with the program's folder (infra/pulumi/) as working directory and passes the project
// root (the folder of Pulumi.yaml) as --root-directory, which the SDK's run script hands to the
// program in PULUMI_NODEJS_ROOT_DIRECTORY. Relative config paths must resolve against that root.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";

test("a relative regnet:kubeconfigPath resolves against the project root, not the working directory", async () => {
  const root = path.join(os.tmpdir(), "a-users-regnet-checkout");
  assert.notEqual(process.cwd(), root);
  // The SDK reads it once, when @pulumi/pulumi loads: set it first, as the run script does.
  process.env.PULUMI_NODEJS_ROOT_DIRECTORY = root;
  const { declared }: typeof import("../support/pulumi-mocks") = require("../support/pulumi-mocks");
  const registered = await declared(
    { "regnet:networks": JSON.stringify([{ name: "alpha", nodes: 1 }]), "regnet:kubeconfigPath": ".regnet/kubeconfig" },
    () => require("../../infra/pulumi/main"),
  );
  assert.deepEqual(
    registered.map((r) => r.inputs.kubeconfigPath),
    [path.join(root, ".regnet", "kubeconfig")],
  );
});
