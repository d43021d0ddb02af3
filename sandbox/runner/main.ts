// Entry point of the sandbox node runner (started detached by `npm run sandbox -- up`):
//   node dist/sandbox/runner/main.js --kubeconfig <path> --state-dir <dir>
// SIGTERM/SIGINT stop every pod process, remove the pods' namespaces and veths, and exit.
import { parseArgs } from "node:util";
import { createLogger } from "../../provider/log";
import { Runner } from "./runner";
import { messageOf } from "../../provider/errors";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kubeconfig: { type: "string" }, "state-dir": { type: "string" } },
  });
  if (!values.kubeconfig || !values["state-dir"]) {
    process.stderr.write("usage: node dist/sandbox/runner/main.js --kubeconfig <path> --state-dir <dir>\n");
    process.exit(2);
  }
  const log = createLogger("node-runner");
  const runner = new Runner({ kubeconfig: values.kubeconfig, stateDir: values["state-dir"], log });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    runner.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ error: String(err) }, "stop failed");
        process.exit(1);
      },
    );
  };
  // One pod's unexpected failure must not take every other pod down with the runner.
  process.on("unhandledRejection", (err) => log.error({ error: err instanceof Error ? err.stack : String(err) }, "unhandled rejection"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  try {
    await runner.start();
  } catch (err) {
    log.error({ error: messageOf(err) }, "node runner failed to start");
    await runner.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main();
