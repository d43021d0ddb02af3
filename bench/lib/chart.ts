// The chart: time to a synced network against N, one line per strategy, one panel per
// implementation, the floor dashed; bars from the fastest to the slowest run. Drawn by vega-lite
// (spec → vega → SVG) and rasterized by resvg with a font shipped in node_modules, so the text is
// the same on a machine without system fonts.
import * as path from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { summarize } from "./stats";
import type { BenchResults } from "./results";

const FONT_FAMILY = "Source Sans 3";
const IMPL_LABEL = { btcd: "btcd", "bitcoin-core": "Bitcoin Core" } as const;
const STRATEGY_LABEL = {
  floor: "floor (raw processes)",
  controller: "regnet, controller",
  pulumi: "regnet, Pulumi",
  naive: "naive (OrderedReady + full mesh)",
} as const;

export interface ChartPoint {
  impl: string;
  strategy: string;
  nodes: number;
  median: number;
  min: number;
  max: number;
  floor: boolean;
}

/** One point per case: seconds to synced (median, min, max). */
export function chartPoints(results: BenchResults): ChartPoint[] {
  return results.converge.flatMap((c) => {
    const s = summarize(c.runs.map((r) => r.syncedMs));
    if (!s) return [];
    return [
      {
        impl: IMPL_LABEL[c.impl],
        strategy: STRATEGY_LABEL[c.strategy],
        nodes: c.nodes,
        median: s.median / 1000,
        min: s.min / 1000,
        max: s.max / 1000,
        floor: c.strategy === "floor",
      },
    ];
  });
}

export function chartSpec(results: BenchResults): TopLevelSpec {
  const points = chartPoints(results);
  const strategies = Object.values(STRATEGY_LABEL).filter((s) => points.some((p) => p.strategy === s));
  const color = {
    field: "strategy",
    type: "nominal" as const,
    title: "strategy",
    scale: { domain: strategies },
    legend: { labelLimit: 320 },
  };
  // Log scale: the naive strategy is an order of magnitude above the rest, which would flatten them.
  const seconds = { type: "log" as const };
  const x = { field: "nodes", type: "quantitative" as const, title: "nodes (N)" };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Time from create to a synced regtest network (101 blocks on every node)",
      subtitle: `median of runs, bars min–max; ${results.machine.cpus} cores; load before ${results.loadBefore[0]}${results.quick ? "; --quick" : ""}`,
    },
    data: { values: points },
    facet: { column: { field: "impl", type: "nominal", title: null } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 380,
      height: 280,
      layer: [
        {
          mark: { type: "rule" },
          encoding: { x, y: { field: "min", type: "quantitative", scale: seconds }, y2: { field: "max" }, color },
        },
        {
          mark: { type: "line", point: true },
          encoding: {
            x,
            y: { field: "median", type: "quantitative", title: "seconds to synced (log scale)", scale: seconds },
            color,
            strokeDash: {
              field: "floor",
              type: "nominal",
              legend: null,
              scale: {
                domain: [false, true],
                range: [
                  [1, 0],
                  [6, 4],
                ],
              },
            },
          },
        },
      ],
    },
    config: { font: FONT_FAMILY, background: "white" },
  };
}

/** The font files handed to resvg (regular and bold), from the npm package. */
function fontFiles(): string[] {
  const dir = path.dirname(require.resolve("@expo-google-fonts/source-sans-3/package.json"));
  return [path.join(dir, "400Regular", "SourceSans3_400Regular.ttf"), path.join(dir, "700Bold", "SourceSans3_700Bold.ttf")];
}

/** Renders a vega-lite spec to PNG bytes (2× scale), headless. */
export async function renderPng(spec: TopLevelSpec): Promise<Buffer> {
  const vl = await import("vega-lite");
  const vega = await import("vega");
  const { Resvg } = await import("@resvg/resvg-js");
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
      fitTo: { mode: "zoom", value: 2 },
      background: "white",
    }).render();
    return png.asPng();
  } finally {
    view.finalize();
  }
}
