// Reading back the pictures `regnet graph` writes, as a person looking at them would: in the SVG, the
// nodes and links Graphviz drew (with their state classes and dash style); in the PNG, the filled
// circles of each state's colour, counted as blobs of pixels, and whether dark label pixels are
// drawn inside each (text that failed to render leaves none).
import { PNG } from "pngjs";
import { STATE_COLOURS } from "../../provider/cli/graph/model";
import type { NodeState } from "../../provider/engine/status";

export interface SvgFacts {
  /** `<g id="node_<ordinal>" class="node <state>">`, by ordinal. */
  nodes: Map<number, { state: string; title: string }>;
  /** `<g id="link_<a>_<b>" class="edge connected|missing">` by `<a>_<b>`, with whether its path is dashed. */
  edges: Map<string, { state: string; dashed: boolean }>;
}

export function svgFacts(svg: string): SvgFacts {
  const nodes = new Map<number, { state: string; title: string }>();
  const edges = new Map<string, { state: string; dashed: boolean }>();
  const group = /<g id="([^"]+)" class="([^"]+)">\s*<title>([^<]*)<\/title>([\s\S]*?)<\/g>/g;
  for (const m of svg.matchAll(group)) {
    const [, id, cls, title, body] = m;
    const [kind, state = ""] = cls.split(/\s+/);
    if (kind === "node") nodes.set(Number(/^node_(\d+)$/.exec(id)![1]), { state, title: title });
    if (kind === "edge") edges.set(id.replace(/^link_/, ""), { state, dashed: /stroke-dasharray/.test(body) });
  }
  return { nodes, edges };
}

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

export interface PngFacts {
  width: number;
  height: number;
  /** Per state: the filled circles found (area in pixels, and label pixels inside). */
  blobs: Record<NodeState, { area: number; labelPixels: number }[]>;
}

/** Decodes `png` and finds each state's fill colour as connected blobs of at least `minArea` pixels. */
export function pngFacts(png: Buffer, minArea = 400): PngFacts {
  const img = PNG.sync.read(png);
  const { width, height, data } = img;
  const at = (x: number, y: number) => (y * width + x) * 4;
  const near = (i: number, rgb: number[], tol = 10) => rgb.every((v, k) => Math.abs(data[i + k] - v) <= tol);
  const dark = (i: number) => data[i] < 70 && data[i + 1] < 70 && data[i + 2] < 70;
  const blobs = { ready: [], lagging: [], down: [] } as PngFacts["blobs"];
  for (const state of Object.keys(blobs) as NodeState[]) {
    const fill = hex(STATE_COLOURS[state].fill);
    const seen = new Uint8Array(width * height);
    for (let y0 = 0; y0 < height; y0++) {
      for (let x0 = 0; x0 < width; x0++) {
        if (seen[y0 * width + x0] || !near(at(x0, y0), fill)) continue;
        // Flood fill (4-neighbours) one blob, keeping its bounding box.
        let area = 0;
        let [minX, maxX, minY, maxY] = [x0, x0, y0, y0];
        const stack = [[x0, y0]];
        seen[y0 * width + x0] = 1;
        while (stack.length) {
          const [x, y] = stack.pop()!;
          area++;
          [minX, maxX, minY, maxY] = [Math.min(minX, x), Math.max(maxX, x), Math.min(minY, y), Math.max(maxY, y)];
          for (const [nx, ny] of [
            [x + 1, y],
            [x - 1, y],
            [x, y + 1],
            [x, y - 1],
          ]) {
            if (nx < 0 || ny < 0 || nx >= width || ny >= height || seen[ny * width + nx]) continue;
            if (!near(at(nx, ny), fill)) continue;
            seen[ny * width + nx] = 1;
            stack.push([nx, ny]);
          }
        }
        if (area < minArea) continue;
        // Label pixels: near-black, in the middle half of the blob's box (away from the outline).
        let labelPixels = 0;
        const [qx, qy] = [(maxX - minX) / 4, (maxY - minY) / 4];
        for (let y = Math.ceil(minY + qy); y <= maxY - qy; y++) {
          for (let x = Math.ceil(minX + qx); x <= maxX - qx; x++) if (dark(at(x, y))) labelPixels++;
        }
        blobs[state].push({ area, labelPixels });
      }
    }
  }
  return { width, height, blobs };
}
