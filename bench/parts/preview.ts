// `pulumi preview` of a 3 → 5 change on a live network: its wall time next to previews that have
// nothing to do (the same stack unchanged, and a stack with no resources), and what it sent to the
// cluster and the nodes meanwhile — the API server's own count for the network's resources, and
// the provider calls that opened an engine (the only way the provider reaches a node), from the
// provider's log. Both must be zero: check and diff are pure.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Implementation } from "../../provider/spec";
import { diffCounts, NETWORK_RESOURCES, readWrite, scrape } from "../lib/apimetrics";
import type { Sandbox } from "../lib/cluster";
import type { PreviewResult } from "../lib/results";
import { pulumiStack, type NetworkCase } from "./regnet";

const engineCalls = (log: string) =>
  fs.existsSync(log)
    ? fs
        .readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.includes('"provider call"')).length
    : 0;

export async function runPreview(
  sb: Sandbox,
  namespace: string,
  impl: Implementation,
  runs: number,
  timeoutMs: number,
  say: (l: string) => void,
): Promise<PreviewResult> {
  const from: NetworkCase = { impl, nodes: 3, topology: { type: "ring" } };
  const to: NetworkCase = { ...from, nodes: 5 };
  const main = await pulumiStack(namespace, `${namespace}-preview`, "pv", timeoutMs);
  const empty = await pulumiStack(namespace, `${namespace}-empty`, "pv", timeoutMs);
  const log = path.join(main.root, "provider.log");
  const timed = async (fn: () => Promise<unknown>) => {
    const t0 = Date.now();
    await fn();
    return Date.now() - t0;
  };
  try {
    await main.configure(from);
    await main.stack.up({ color: "never" });
    say(`preview: 3-node ${impl} network up through Pulumi`);
    const result: PreviewResult = {
      impl,
      change: "nodes 3 → 5",
      changeMs: [],
      unchangedMs: [],
      emptyMs: [],
      api: { reads: 0, writes: 0, detail: {} },
      providerEngineCalls: 0,
      steps: [],
    };
    await empty.configure(undefined);
    await empty.stack.up({ color: "never" });
    for (let i = 0; i < runs; i++) {
      await main.configure(from);
      result.unchangedMs.push(await timed(() => main.stack.preview({ color: "never" })));
      result.emptyMs.push(await timed(() => empty.stack.preview({ color: "never" })));
      await main.configure(to);
      const calls0 = engineCalls(log);
      const before = await scrape(sb.kc);
      let steps: Record<string, number> = {};
      result.changeMs.push(
        await timed(async () => (steps = (await main.stack.preview({ color: "never" })).changeSummary as Record<string, number>)),
      );
      // Any write at all to what a network is made of, pods included.
      const rw = readWrite(diffCounts(await scrape(sb.kc), before), NETWORK_RESOURCES, NETWORK_RESOURCES);
      result.api.reads += rw.reads;
      result.api.writes += rw.writes;
      for (const [k, v] of Object.entries(rw.detail)) result.api.detail[k] = (result.api.detail[k] ?? 0) + v;
      result.providerEngineCalls += engineCalls(log) - calls0;
      result.steps = Object.entries(steps)
        .filter(([k]) => k !== "same")
        .map(([k, v]) => `${v} ${k}`);
      say(
        `preview ${i + 1}/${runs}: 3 → 5 ${(result.changeMs.at(-1)! / 1000).toFixed(1)} s, unchanged ${(result.unchangedMs.at(-1)! / 1000).toFixed(1)} s, empty ${(result.emptyMs.at(-1)! / 1000).toFixed(1)} s`,
      );
    }
    return result;
  } finally {
    await main.close();
    await empty.close();
  }
}
