// `regnet graph <network> -o net.svg|net.png|net.dot`: the topology as a picture, laid out by Graphviz.
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { NetworkNotFoundError } from "../../engine/errors";
import { UsageError } from "../exit";
import { draw, formatOfFile, PICTURE_FORMATS, type PictureFormat } from "../graph/draw";
import { defaultLayout, graphModel, LAYOUTS, toDot, type GraphModel, type Layout } from "../graph/model";
import type { Io } from "../io";
import { withClusterOptions, withSession, type ClusterOptions, type Session } from "../session";

interface GraphOptions extends ClusterOptions {
  output: string;
  format?: PictureFormat;
  layout?: Layout;
}

/** `3 nodes (2 ready, 1 lagging), 3 links (2 connected, 1 missing)`. */
export function describeModel(m: GraphModel): string {
  const count = (xs: string[]) => [...new Set(xs)].map((x) => `${xs.filter((y) => y === x).length} ${x}`).join(", ");
  const nodes = `${m.nodes.length} node${m.nodes.length === 1 ? "" : "s"}${m.nodes.length ? ` (${count(m.nodes.map((n) => n.state))})` : ""}`;
  const links = `${m.edges.length} link${m.edges.length === 1 ? "" : "s"}${m.edges.length ? ` (${count(m.edges.map((e) => (e.connected ? "connected" : "missing")))})` : ""}`;
  return `${nodes}, ${links}`;
}

/** Writes the picture of `network` to `file` (`-`: stdout) and says what it shows. Shared with the demo. */
export async function writeGraph(
  s: Session,
  network: string,
  opts: { output: string; format: PictureFormat; layout?: Layout },
  io: Pick<Io, "out" | "err">,
): Promise<GraphModel> {
  const { format } = opts;
  const ref = { name: network, namespace: s.namespace };
  const view = await s.engine.inspect(ref);
  if (!view) throw new NetworkNotFoundError(ref);
  const model = graphModel(view);
  const layout = opts.layout ?? defaultLayout(model);
  const picture = await draw(toDot(model, layout), format, layout);
  if (opts.output === "-") {
    io.out.write(picture);
    return model;
  }
  fs.mkdirSync(path.dirname(path.resolve(opts.output)), { recursive: true });
  fs.writeFileSync(opts.output, picture);
  io.err.write(`wrote ${opts.output} (${format}, ${layout} layout): ${view.ref.namespace}/${network}, ${describeModel(model)}\n`);
  return model;
}

export function graphCommand(io: Io): Command {
  const cmd = new Command("graph")
    .summary("draw the network's topology as a picture (SVG, PNG or DOT)")
    .description(
      "Draws <network>: nodes as circles labelled with ordinal and height, filled by state (green ready, amber lagging behind the\n" +
        "network's height, red down); links solid when connected, dashed when the topology wants them but they are not connected.\n" +
        "Laid out by Graphviz (circo for mesh and ring, neato otherwise).",
    )
    .argument("<network>", "the network's name")
    .requiredOption("-o, --output <file>", "the picture's file: .svg, .png or .dot (- for stdout, with --format)")
    .addOption(new Option("--format <format>", "the picture's format (default: from the file name)").choices(PICTURE_FORMATS))
    .addOption(new Option("--layout <engine>", "Graphviz layout engine (default: circo for mesh/ring, neato otherwise)").choices(LAYOUTS))
    .addHelpText(
      "after",
      "\nExamples:\n  regnet graph demo -o demo.svg\n  regnet graph demo -o demo.png --layout neato\n  regnet graph demo -o - --format dot | dot -Tpdf > demo.pdf",
    );
  withClusterOptions(cmd).action(async (network: string, opts: GraphOptions) => {
    if (opts.output === "-" && !opts.format) throw new UsageError("-o -: pass --format svg|png|dot to write the picture to stdout");
    const format = opts.format ?? formatOfFile(opts.output);
    if (!format) {
      throw new UsageError(
        `-o/--output: cannot tell the picture's format from "${opts.output}": name the file .svg, .png or .dot, or pass --format ${PICTURE_FORMATS.join("|")}`,
      );
    }
    await withSession(opts, (s) => writeGraph(s, network, { ...opts, format }, io));
  });
  return cmd;
}
