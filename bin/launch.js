// What bin/regnet and bin/kubectl-regnet run: the built command (dist/provider/cli/main.js) under a
// Node that can load it (≥ 22.12: the project's libraries are ES modules loaded with require()).
// An older `node` on PATH (kubectl runs plugins with whatever PATH has) hands over to the Node 22
// that `npm ci` installs in node_modules. Plain CommonJS that any Node parses.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const os = require("node:os");
const { spawnSync } = require("node:child_process");

module.exports = function launch(name) {
  const root = path.resolve(__dirname, "..");
  const main = path.join(root, "dist", "provider", "cli", "main.js");
  if (!fs.existsSync(main)) {
    console.error(`error: ${name} is not built yet: run \`npm run build\` in ${root} (after \`npm ci\`)`);
    process.exit(1);
  }
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) {
    process.env.REGNET_CLI_NAME = name;
    require(main).main(process.argv.slice(2), name);
    return;
  }
  const node = path.join(root, "node_modules", "node", "bin", "node");
  if (!fs.existsSync(node)) {
    console.error(`error: ${name} needs Node.js 22.12 or newer (this is ${process.version}): run \`npm ci\` in ${root}, which installs it`);
    process.exit(1);
  }
  // The child gets the terminal's signals itself (same process group): this one only waits.
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
  const run = spawnSync(node, [main, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, REGNET_CLI_NAME: name } });
  if (run.error) {
    console.error(`error: could not run ${node}: ${run.error.message}`);
    process.exit(1);
  }
  process.exit(run.status ?? 128 + (os.constants.signals[run.signal] || 0));
};
