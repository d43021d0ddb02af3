// Laying out and drawing the graph: Graphviz (compiled to WebAssembly) lays out the DOT and writes
// SVG; resvg turns the SVG into PNG. resvg is handed the DejaVu Sans files shipped by the
// `dejavu-fonts-ttf` npm package and never reads the system's fonts, so the PNG's labels render
// the same on a machine without any font installed.
import * as path from "node:path";
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { Resvg } from "@resvg/resvg-js";
import { FONT_FAMILY, type Layout } from "./model";

export type PictureFormat = "svg" | "png" | "dot";
export const PICTURE_FORMATS: readonly PictureFormat[] = ["svg", "png", "dot"];

let graphviz: Promise<Graphviz> | undefined;

/** DOT → laid-out SVG with the `layout` engine. */
export async function dotToSvg(dot: string, layout: Layout): Promise<string> {
  graphviz ??= Graphviz.load();
  return (await graphviz).layout(dot, "svg", layout);
}

/** The font files the PNG's labels are drawn with (regular and bold, as the labels use both). */
function fontFiles(): string[] {
  const dir = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  return [path.join(dir, "DejaVuSans.ttf"), path.join(dir, "DejaVuSans-Bold.ttf")];
}

/** SVG → PNG at twice the SVG's size (sharp on high-density screens), on white. */
export function svgToPng(svg: string, zoom = 2): Buffer {
  const resvg = new Resvg(svg, {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: "zoom", value: zoom },
    background: "white",
  });
  return resvg.render().asPng();
}

/** The picture of `dot` in `format`: DOT as it is, SVG laid out by Graphviz, or that SVG as PNG. */
export async function draw(dot: string, format: PictureFormat, layout: Layout): Promise<Buffer> {
  if (format === "dot") return Buffer.from(dot, "utf8");
  const svg = await dotToSvg(dot, layout);
  return format === "svg" ? Buffer.from(svg, "utf8") : svgToPng(svg);
}

/** The format a file name asks for (`net.svg` → svg), or undefined. */
export function formatOfFile(file: string): PictureFormat | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  return (PICTURE_FORMATS as readonly string[]).includes(ext) ? (ext as PictureFormat) : undefined;
}
