// The `regnet` command line, defined once with commander: its parsing, its errors and every
// command's --help come from these definitions.
import { Command } from "commander";
import { graphCommand } from "./commands/graph";
import { logsCommand } from "./commands/logs";
import { mineCommand } from "./commands/mine";
import { rpcCommand } from "./commands/rpc";
import { statusCommand } from "./commands/status";
import { waitCommand } from "./commands/wait";
import { EXIT } from "./exit";
import type { Io } from "./io";

const EXIT_CODES = `
Exit codes:
  ${EXIT.ok}  done
  ${EXIT.failure}  failed: the cluster, a node, an RPC error, or no such network or node
  ${EXIT.usage}  the command line is wrong (unknown command or option, bad argument): nothing was done
  ${EXIT.notReady}  wait (or mine waiting for the new tip) timed out: the network is not there yet`;

/** `name`: how the user called it ("regnet", or "kubectl regnet" for the kubectl plugin). */
export function buildProgram(io: Io, name = "regnet", version = "0.0.0"): Command {
  const program = new Command(name)
    .description("Use a regnet Bitcoin regtest network on Kubernetes: status, RPC to any node, mining, logs, waiting, and a picture of it.")
    .version(version, "--version", "print regnet's version")
    .addHelpText("after", EXIT_CODES)
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .exitOverride();
  for (const make of [statusCommand, rpcCommand, mineCommand, logsCommand, waitCommand, graphCommand]) {
    program.addCommand(
      make(io)
        .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
        .showHelpAfterError(`(add --help for usage)`)
        .exitOverride(),
    );
  }
  return program;
}
