// `pulumi preview` calls only check and diff: the adapter must answer them without loading the
// engine, the RPC client or @kubernetes/client-node (seconds of start-up in every preview, measured
// by `npm run bench`), which only create/read/update/delete need.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const adapter = path.resolve(__dirname, "..", "..", "provider", "pulumi", "adapter.js");

test("check and diff run without loading the engine or the Kubernetes client; create loads them", () => {
  const script = `
    const { provider } = require(${JSON.stringify(adapter)});
    const heavy = () => Object.keys(require.cache).filter((f) => /[\\\\/](engine|kube|rpc)[\\\\/]|@kubernetes[\\\\/]client-node/.test(f));
    (async () => {
      const news = { name: "alpha", namespace: "default", spec: { nodes: 3, implementation: "btcd" } };
      const checked = await provider.check({}, news);
      const diff = await provider.diff("default/alpha", { ...checked.inputs }, { ...checked.inputs, spec: { ...checked.inputs.spec, nodes: 5 } });
      const before = heavy();
      await provider.create({ ...checked.inputs, kubeconfigPath: "/nonexistent/kubeconfig" }).catch(() => undefined);
      console.log(JSON.stringify({ failures: checked.failures ?? [], changes: diff.changes, before, after: heavy().length }));
    })();`;
  const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim().split("\n").pop()!) as {
    failures: unknown[];
    changes: boolean;
    before: string[];
    after: number;
  };
  assert.deepEqual(out.failures, []);
  assert.equal(out.changes, true, "3 → 5 is a change");
  assert.deepEqual(out.before, [], "check and diff loaded no engine module");
  assert.ok(out.after > 0, "create loads the engine");
});
