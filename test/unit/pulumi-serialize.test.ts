// What Pulumi stores as `__provider`: the dynamic provider is serialized with everything it captures.
// It must stay a few trampolines (no engine code, no config, no secret) and, evaluated the way the
// dynamic-provider process does (require-from-string, resolving against the working directory), it
// must reach the compiled adapter and work.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { bitcoinNetworkProvider } from "../../provider/pulumi/provider";
import { repoRoot } from "../../sandbox/toolchain/paths";

// The very function @pulumi/pulumi's dynamic-provider process evaluates `__provider` with.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS package without types
const requireFromString = require("require-from-string") as (code: string) => { handler: () => pulumi.dynamic.ResourceProvider };

async function serialized() {
  return pulumi.runtime.serializeFunction(() => bitcoinNetworkProvider, { allowSecrets: true });
}

test("__provider is small and holds no engine code and no secret", async () => {
  const { text, containsSecrets } = await serialized();
  assert.equal(containsSecrets, false);
  assert.ok(text.length < 4096, `__provider is ${text.length} bytes`);
  for (const engineWord of ["createEngine", "StatefulSet", "validateSpec", "addnode", "KubeConfig", "zod"]) {
    assert.ok(!text.includes(engineWord), `__provider contains ${engineWord}`);
  }
});

test("evaluated like the provider process does, it loads the adapter from the working directory", async () => {
  const { text } = await serialized();
  const saved = process.env.REGNET_PULUMI_ADAPTER;
  delete process.env.REGNET_PULUMI_ADAPTER;
  const cwd = process.cwd();
  try {
    process.chdir(repoRoot);
    const provider = requireFromString(text).handler();
    const ok = await provider.check!({}, { name: "alpha", namespace: "ns", spec: { nodes: 2, implementation: "btcd" } });
    assert.deepEqual(ok.failures, []);
    assert.equal((ok.inputs as { spec: { chain: string } }).spec.chain, "regtest");
    const bad = await provider.check!({}, { name: "alpha", namespace: "ns", spec: { nodes: -1 } });
    assert.equal(bad.failures?.[0]?.property, "spec.nodes");
    const diff = await provider.diff!(
      "ns/alpha",
      { name: "alpha", namespace: "ns", spec: { nodes: 3 } },
      { name: "alpha", namespace: "ns", spec: { nodes: 5 } },
    );
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);

    process.chdir(os.tmpdir());
    await assert.rejects(
      Promise.resolve().then(() => requireFromString(text).handler().check!({}, {})),
      /adapter\.js not found .*npm run build/,
    );
  } finally {
    process.chdir(cwd);
    if (saved !== undefined) process.env.REGNET_PULUMI_ADAPTER = saved;
  }
});
