// `regnet logs <network> <ordinal> [-f]`: a node's log, read through the API server as kubectl does.
import { Command, Option } from "commander";
import { podName } from "../../engine/desired";
import { CliError } from "../exit";
import { parseCount, parseOrdinal } from "../args";
import type { Io } from "../io";
import { withClusterOptions, withSession, type ClusterOptions } from "../session";

interface LogsOptions extends ClusterOptions {
  follow?: boolean;
  container: string;
  tail?: number;
  previous?: boolean;
}

export function logsCommand(io: Io): Command {
  const cmd = new Command("logs")
    .summary("print a node's log")
    .description(
      "Prints the log of node <ordinal> of <network> (the bitcoind or btcd process; --container miner for the miner, when mining.intervalSeconds is set).",
    )
    .argument("<network>", "the network's name")
    .argument("<ordinal>", "the node: 0, 1, ...", parseOrdinal)
    .option("-f, --follow", "keep printing new lines until the container stops (Ctrl-C to stop)")
    .addOption(new Option("-c, --container <name>", "the pod's container").default("node"))
    .addOption(new Option("--tail <lines>", "only the last <lines> lines").argParser(parseCount))
    .option("-p, --previous", "the log of the container's previous run (after a restart)");
  withClusterOptions(cmd, { rpc: false }).action(async (network: string, ordinal: number, opts: LogsOptions) => {
    // Loaded here, not at the top: @kubernetes/client-node takes a second or two to load, and --help should not wait.
    const { LogTargetError, streamLog } = await import("../../kube/logs.js");
    await withSession(opts, async (s) => {
      const req = {
        namespace: s.namespace,
        pod: podName(network, ordinal),
        container: opts.container,
        follow: opts.follow,
        tailLines: opts.tail,
        previous: opts.previous,
      };
      await streamLog(s.kubeConfig, req, io.out, io.signal).catch((err: unknown) => {
        if (!(err instanceof LogTargetError)) throw err;
        throw new CliError(
          `node ${ordinal} of network ${s.namespace}/${network}: ${err.message} (regnet status ${network} -n ${s.namespace} lists its nodes)`,
        );
      });
    });
  });
  return cmd;
}
