// `regnet rpc <network> <ordinal> <method> [params...]`: any RPC to one node, through the engine
// (direct or port-forward, credentials from the network's Secret, never printed).
import { Command } from "commander";
import { parseOrdinal, parseRpcParams } from "../args";
import type { Io } from "../io";
import { withClusterOptions, withSession, type ClusterOptions } from "../session";

/** As bitcoin-cli prints results: a string as it is, anything else as indented JSON. */
export function formatResult(result: unknown): string {
  return typeof result === "string" ? `${result}\n` : `${JSON.stringify(result ?? null, null, 2)}\n`;
}

export function rpcCommand(io: Io): Command {
  const cmd = new Command("rpc")
    .summary("call any RPC on one node")
    .description(
      "Calls <method> on node <ordinal> of <network> with the network's credentials (read from its Secret, never printed).\n" +
        "Each parameter that is valid JSON is sent as that JSON (5, true, null, [..], {..}, '\"5\"' for the string 5); anything else as a string.\n" +
        "A parameter that starts with '-' goes after --, as in: rpc demo 0 echo -- -1\n" +
        "Prints a string result as it is, anything else as JSON.",
    )
    .argument("<network>", "the network's name")
    .argument("<ordinal>", "the node: 0, 1, ...", parseOrdinal)
    .argument("<method>", "the RPC method, e.g. getblockchaininfo (Bitcoin Core) or getinfo (btcd)")
    .argument("[params...]", "the method's parameters")
    .addHelpText(
      "after",
      "\nExamples:\n  regnet rpc demo 0 getblockchaininfo\n  regnet rpc demo 1 getblockhash 101\n  regnet rpc demo 0 getpeerinfo",
    );
  withClusterOptions(cmd).action(async (network: string, ordinal: number, method: string, params: string[], opts: ClusterOptions) => {
    await withSession(opts, async (s) => {
      const result = await s.engine.call({ name: network, namespace: s.namespace }, ordinal, method, parseRpcParams(params));
      io.out.write(formatResult(result));
    });
  });
  return cmd;
}
