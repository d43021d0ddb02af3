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
  // Loaded only now, after the variable is set (an import would load the SDK first).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { declared } = require("../support/pulumi-mocks") as typeof import("../support/pulumi-mocks");
  const registered = await declared(
    { "regnet:networks": JSON.stringify([{ name: "alpha", nodes: 1 }]), "regnet:kubeconfigPath": ".regnet/kubeconfig" },
    // The program runs when its module loads, as the language host runs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    () => require("../../infra/pulumi/main") as ReturnType<typeof import("../../infra/pulumi/stack").regnetStack>,
  );
  assert.deepEqual(
    registered.map((r) => r.inputs.kubeconfigPath),
    [path.join(root, ".regnet", "kubeconfig")],
  );
});
