// `npm run sandbox -- up | down | status | env`: the local test cluster (see sandbox/cluster/).
// REGNET_SANDBOX=<name> (and optionally REGNET_SANDBOX_DIR) selects another, independent sandbox.
import { down, status, up } from "./cluster/cluster";
import { currentInstance } from "./cluster/instance";
import { toolchainEnv } from "./toolchain/paths";
import { messageOf } from "../provider/errors";

const USAGE = "usage: npm run sandbox -- up | down | status (exit 0 up, 3 down or degraded) | env";

/** Shell lines that put the toolchain on PATH and point kubectl at the sandbox. */
function envLines(): string {
  const inst = currentInstance();
  const ours = (toolchainEnv({ ...process.env, PATH: "" }).PATH ?? "").split(":").filter(Boolean);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    `export PATH=${q(ours.join(":"))}:"$PATH"`,
    `export KUBECONFIG=${q(inst.kubeconfig)}`,
    "export PULUMI_SKIP_UPDATE_CHECK=1",
    "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
  ].join("\n");
}

async function main(cmd: string | undefined): Promise<number> {
  const say = (line: string) => console.error(line);
  switch (cmd) {
    case "up":
      await up(say);
      return 0;
    case "down":
      await down(say);
      return 0;
    case "status":
      // As `systemctl status`: 0 when up, 3 when down or degraded, so scripts can tell.
      return (await status((line) => console.log(line))) ? 0 : 3;
    case "env":
      console.log(envLines());
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

// `npm run sandbox -- status | head`: a closed pipe ends the output, not with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv[2]).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`sandbox ${process.argv[2]} FAILED: ${messageOf(err)}`);
    process.exitCode = 1;
  },
);
