// Entry of the `regnet` command (bin/regnet, bin/kubectl-regnet, or `node dist/provider/cli/main.js`):
// runs one command and maps what happened to an exit code (./exit.ts). Errors are one line on stderr,
// `error: <what, naming the argument, node or method> ...`; never a stack trace, never a credential
// (RPC errors are scrubbed where they are made, in provider/rpc).
import * as fs from "node:fs";
import * as path from "node:path";
import { CommanderError } from "commander";
import { NetworkNotFoundError } from "../engine/errors";
import { CliError, EXIT } from "./exit";
import type { Io } from "./io";
import { buildProgram } from "./program";
import { messageOf } from "../errors";

function version(): string {
  try {
    const pkg = path.resolve(__dirname, "..", "..", "..", "package.json"); // <root>/dist/provider/cli
    return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Runs `argv` (without the program name); resolves with the exit code. */
export async function runCli(argv: string[], io: Io, name = "regnet"): Promise<number> {
  const program = buildProgram(io, name, version());
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end in a CommanderError too; commander has printed the message already.
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help"
        ? EXIT.ok
        : EXIT.usage;
    }
    if (err instanceof NetworkNotFoundError) {
      io.err.write(`error: ${err.message} (\`${name} status -A\` lists the networks)\n`);
      return EXIT.failure;
    }
    io.err.write(`error: ${messageOf(err)}\n`);
    return err instanceof CliError ? err.code : EXIT.failure;
  }
}

/** The process around runCli: stdout/stderr, Ctrl-C/SIGTERM as an abort, the exit code. */
export async function main(argv = process.argv.slice(2), name = process.env.REGNET_CLI_NAME || "regnet"): Promise<void> {
  const stop = new AbortController();
  let stops = 0;
  const onSignal = () => {
    // The first Ctrl-C lets the command finish cleanly (close port-forwards); a second one does not wait.
    if (++stops > 1) process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // `regnet status | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
    throw err;
  });
  const io: Io = { out: process.stdout, err: process.stderr, isTTY: !!process.stdout.isTTY, signal: stop.signal };
  process.exitCode = await runCli(argv, io, name);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}

if (require.main === module) void main();
