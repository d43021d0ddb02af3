// The modules import one way only: no cycle anywhere in the shipped code or its test bed (type-only
// imports count too: a cycle of types is still two modules that cannot be read apart).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import madge from "madge";
import { repoRoot } from "../../sandbox/toolchain/paths";

test("no import cycles in provider/, infra/, sandbox/ or bench/", async () => {
  const graph = await madge(
    ["provider", "infra", "sandbox", "bench"].map((d) => path.join(repoRoot, d)),
    { fileExtensions: ["ts"], tsConfig: path.join(repoRoot, "tsconfig.json"), excludeRegExp: [/\.d\.ts$/] },
  );
  assert.ok(Object.keys(graph.obj()).length > 80, "madge read the source tree");
  assert.deepEqual(graph.circular(), [], "import cycles (each a chain of modules that import back to the first)");
});
