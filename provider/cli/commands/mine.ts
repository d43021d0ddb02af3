// `regnet mine <network> [blocks] [--node k]`: mines on one node, then (unless --no-wait) waits until
// every ready node has the new tip, so the next command sees the same chain everywhere.
import { Command, Option } from "commander";
import type { NetworkView, NodeStatus } from "../../engine";
import { parseDuration, parseOrdinal, parsePositive } from "../args";
import { NotReadyError } from "../exit";
import { pause, type Io } from "../io";
import { TIP_PREFIX } from "../render/status";
import { withClusterOptions, withSession, type ClusterOptions } from "../session";

interface MineOptions extends ClusterOptions {
  node: number;
  wait: boolean;
  timeout: number;
  output: "text" | "json";
}

/** Has node `n` got the block `tip` at `height` (or moved past it)? */
function hasTip(n: NodeStatus, tip: string, height: number): boolean {
  return n.bestBlockHash === tip || (n.height ?? -1) > height;
}

/** Ready nodes that have the tip, and those that do not yet. */
export function tipSpread(view: NetworkView, tip: string, height: number): { have: number[]; lack: NodeStatus[] } {
  const ready = view.status.nodes.filter((n) => n.ready);
  return {
    have: ready.filter((n) => hasTip(n, tip, height)).map((n) => n.ordinal),
    lack: ready.filter((n) => !hasTip(n, tip, height)),
  };
}

export function mineCommand(io: Io): Command {
  const cmd = new Command("mine")
    .summary("mine blocks on one node and wait until every node has them")
    .description(
      "Mines [blocks] blocks (default 1) on node --node (default 0), paid to an unspendable regtest address (btcd: to its --miningaddr),\n" +
        "then waits until every ready node has the new tip (exit 3 if that takes longer than --timeout).",
    )
    .argument("<network>", "the network's name")
    .argument("[blocks]", "how many blocks", parsePositive, 1)
    .addOption(new Option("--node <ordinal>", "the node that mines").argParser(parseOrdinal).default(0))
    .option("--no-wait", "return once mined, without waiting for the other nodes")
    .addOption(
      new Option("--timeout <duration>", "how long to wait for every node to have the new tip")
        .argParser(parseDuration)
        .default(60_000, "60s"),
    )
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"));
  withClusterOptions(cmd).action(async (network: string, blocks: number, opts: MineOptions) => {
    await withSession(opts, async (s) => {
      const ref = { name: network, namespace: s.namespace };
      const started = Date.now();
      const { pod, hashes } = await s.engine.mine(ref, opts.node, blocks);
      const tip = hashes[hashes.length - 1];
      // The new tip's own height (another node may be mining too: the chain's height says less).
      const { height } = (await s.engine.call(ref, opts.node, "getblockheader", [tip, true])) as { height: number };
      const say = (line: string) => opts.output === "text" && io.out.write(`${line}\n`);
      say(
        `mined ${blocks} block${blocks === 1 ? "" : "s"} on node ${opts.node} (pod ${pod}): height ${height}, tip ${tip.slice(0, TIP_PREFIX)}`,
      );

      let spread: { have: number[]; lack: NodeStatus[] } = { have: [opts.node], lack: [] };
      if (opts.wait) {
        const deadline = started + opts.timeout;
        for (;;) {
          const view = await s.engine.inspect(ref);
          if (view) spread = tipSpread(view, tip, height);
          if (view && spread.lack.length === 0) break;
          if (Date.now() >= deadline || io.signal.aborted) {
            const behind = spread.lack.map((n) => `node ${n.ordinal} at ${n.height ?? "?"}`).join(", ");
            throw new NotReadyError(
              `mined ${blocks} block(s) on node ${opts.node} (height ${height}), but after ${Math.round(opts.timeout / 1000)} s not every ready node has it: ${behind}`,
            );
          }
          await pause(250, io.signal);
        }
        say(
          `${spread.have.length} ready node${spread.have.length === 1 ? " has" : "s have"} the new tip (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      }
      if (opts.output === "json") {
        const doc = {
          namespace: ref.namespace,
          network,
          node: opts.node,
          pod,
          blocks,
          hashes,
          height,
          ...(opts.wait ? { nodesWithTip: spread.have } : {}),
        };
        io.out.write(`${JSON.stringify(doc, null, 2)}\n`);
      }
    });
  });
  return cmd;
}
