// `regnet status [network]`: every network of a namespace (or all), or one network node by node;
// --watch redraws whenever what it shows changes.
import { Command, Option } from "commander";
import type { NetworkView } from "../../engine";
import { NetworkNotFoundError } from "../../engine/errors";
import { parseDuration } from "../args";
import { UsageError } from "../exit";
import { pause, type Io } from "../io";
import { formatDocument, networkDocument, networksTable, nodesTable, summarize, type OutputFormat } from "../render/status";
import { withClusterOptions, withSession, type ClusterOptions, type Session } from "../session";

interface StatusOptions extends ClusterOptions {
  allNamespaces?: boolean;
  output: OutputFormat;
  watch?: boolean;
  interval: number;
}

/** The views of every network in `namespace` (all when undefined); ones deleted meanwhile are left out. */
async function viewsOf(s: Session, namespace: string | undefined): Promise<NetworkView[]> {
  const refs = await s.engine.list(namespace);
  const views = await Promise.all(refs.map((r) => s.engine.inspect(r)));
  return views.filter((v): v is NetworkView => !!v);
}

/** One rendering of what status shows now. */
async function render(s: Session, network: string | undefined, opts: StatusOptions, compact: boolean): Promise<string> {
  if (network) {
    const ref = { name: network, namespace: s.namespace };
    const view = await s.engine.inspect(ref);
    if (!view) throw new NetworkNotFoundError(ref);
    return opts.output === "table" ? nodesTable(view) : formatDocument(opts.output, networkDocument(view), { compact });
  }
  const namespace = opts.allNamespaces ? undefined : s.namespace;
  const list = (await viewsOf(s, namespace)).map(summarize);
  if (opts.output !== "table") return formatDocument(opts.output, list, { compact });
  if (!list.length) return `No regnet networks ${namespace ? `in namespace ${namespace}` : "in any namespace"}.\n`;
  return networksTable(list, { allNamespaces: !!opts.allNamespaces });
}

async function watch(s: Session, network: string | undefined, opts: StatusOptions, io: Io): Promise<void> {
  let last: string | undefined;
  while (!io.signal.aborted) {
    let text: string;
    try {
      text = await render(s, network, opts, true);
    } catch (err) {
      // A network deleted while watched, or a blip of the API server: say so, keep watching.
      text = `error: ${(err as Error).message}\n`;
    }
    if (text !== last) {
      if (io.isTTY && opts.output === "table") {
        io.out.write(
          `\x1b[H\x1b[2J${new Date().toLocaleTimeString()}  regnet status (every ${opts.interval / 1000} s; Ctrl-C to stop)\n\n${text}`,
        );
      } else {
        io.out.write(opts.output === "yaml" ? `---\n${text}` : last === undefined || opts.output === "json" ? text : `\n${text}`);
      }
      last = text;
    }
    await pause(opts.interval, io.signal);
  }
}

export function statusCommand(io: Io): Command {
  const cmd = new Command("status")
    .summary("show networks, or one network node by node")
    .description(
      "Without a network: every network in the namespace (all with -A), NAME NODES READY WIRED SYNCED HEIGHT (WIRED: links connected/expected).\n" +
        "With a network: one row per node: ordinal, pod, IP, ready, peers/expected, height, tip (best block hash prefix), version.",
    )
    .argument("[network]", "a network's name")
    .option("-A, --all-namespaces", "list the networks of every namespace")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"]).default("table"))
    .option("-w, --watch", "keep watching: print again whenever something changes (Ctrl-C to stop)")
    .addOption(new Option("--interval <duration>", "how often --watch looks").argParser(parseDuration).default(2000, "2s"));
  withClusterOptions(cmd).action(async (network: string | undefined, opts: StatusOptions) => {
    if (network && opts.allNamespaces)
      throw new UsageError("-A/--all-namespaces lists networks: leave it out to show one network (use -n for its namespace)");
    await withSession(opts, async (s) => {
      if (opts.watch) return watch(s, network, opts, io);
      io.out.write(await render(s, network, opts, false));
    });
  });
  return cmd;
}
