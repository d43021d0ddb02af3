// The controller image (Dockerfile) drops the packages only the Pulumi front door and the cdk8s
// app use. Checked here against what loading the controller actually requires, without building
// the image (the tests need no container builder).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../sandbox/toolchain/paths";

const dockerfile = fs.readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");

test("the controller loads none of the packages the image uninstalls", () => {
  const dropped = /npm uninstall [^\n]*?--no-fund ([^\n\\]+)/.exec(dockerfile)?.[1].trim().split(/\s+/);
  assert.ok(dropped && dropped.length > 0, "the Dockerfile's npm uninstall line lists packages");
  // Load the entry point (main() runs only as the main module) and list the packages it pulled in.
  const loaded = JSON.parse(
    execFileSync(
      process.execPath,
      [
        "-e",
        `require(${JSON.stringify(path.join(repoRoot, "dist", "provider", "controller", "main.js"))});
         const pkgs = new Set(Object.keys(require.cache).filter((f) => f.includes("/node_modules/")).map((f) => {
           const parts = f.split("/node_modules/").pop().split("/");
           return parts[0].startsWith("@") ? parts[0] + "/" + parts[1] : parts[0];
         }));
         process.stdout.write(JSON.stringify([...pkgs]));`,
      ],
      { encoding: "utf8" },
    ),
  ) as string[];
  assert.ok(loaded.includes("@kubernetes/client-node"), `the controller's packages were seen: ${loaded.join(" ")}`);
  for (const pkg of dropped) assert.ok(!loaded.includes(pkg), `the controller loads ${pkg}, which the image uninstalls`);
});
