// What a bench run does, as data: the full run of issue #11, or the --quick subset, optionally
// narrowed to some parts, implementations or sizes. Pure, so the plan is unit-tested.
import type { BitcoinNetworkSpecInput } from "../../provider/spec";
import type { Implementation } from "../../provider/spec";
import type { Strategy } from "./results";

export const PARTS = ["floor", "controller", "pulumi", "naive", "economy", "preview", "reaction"] as const;
export type Part = (typeof PARTS)[number];

export interface ConvergeStep {
  strategy: Strategy;
  impl: Implementation;
  nodes: number;
  runs: number;
}

interface EconomyStepPlan {
  impl: Implementation;
  nodes: number;
  added: number;
  topology: NonNullable<BitcoinNetworkSpecInput["topology"]>;
}

export interface Plan {
  quick: boolean;
  converge: ConvergeStep[];
  economy: EconomyStepPlan[];
  preview?: { impl: Implementation; runs: number };
  reaction?: { scaleRuns: number; killRuns: number; idleNetworks: number };
}

export interface PlanOptions {
  quick?: boolean;
  runs?: number;
  parts?: readonly Part[];
  impls?: readonly Implementation[];
  nodes?: readonly number[];
}

/** Node counts per implementation: Bitcoin Core up to 50 (the largest Core network verified). */
const SIZES: Record<Implementation, number[]> = { btcd: [5, 20, 50, 100], "bitcoin-core": [5, 20, 50] };
/** The naive strategy starts pods one at a time (about 4 s each here): sizes where 3 runs take minutes, not an hour. */
const NAIVE_SIZES: Record<Implementation, number[]> = { btcd: [5, 20], "bitcoin-core": [5] };

export function makePlan(o: PlanOptions = {}): Plan {
  const quick = !!o.quick;
  const runs = o.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, not ${o.runs}`);
  const parts = new Set<Part>(o.parts ?? (quick ? ["floor", "controller", "pulumi", "economy", "preview", "reaction"] : PARTS));
  const impls = o.impls ?? (quick ? ["btcd"] : ["btcd", "bitcoin-core"]);
  const sizes = (impl: Implementation, all: number[]) => (quick ? [5] : all).filter((n) => !o.nodes || o.nodes.includes(n));

  const converge: ConvergeStep[] = [];
  for (const impl of impls) {
    for (const nodes of sizes(impl, SIZES[impl])) {
      // Side by side per size, so each strategy meets about the same load.
      for (const strategy of ["floor", "controller", "pulumi"] as const)
        if (parts.has(strategy)) converge.push({ strategy, impl, nodes, runs });
      if (parts.has("naive") && sizes(impl, NAIVE_SIZES[impl]).includes(nodes)) converge.push({ strategy: "naive", impl, nodes, runs });
    }
  }
  const economy: EconomyStepPlan[] = [];
  if (parts.has("economy")) {
    for (const impl of impls)
      for (const nodes of quick ? [5] : [5, 20]) economy.push({ impl, nodes, added: 2, topology: { type: "ring" } });
    if (!quick && impls.includes("btcd"))
      economy.push({ impl: "btcd", nodes: 20, added: 2, topology: { type: "random", degree: 3, seed: 1 } });
  }
  return {
    quick,
    converge,
    economy,
    preview: parts.has("preview") ? { impl: "btcd", runs } : undefined,
    reaction: parts.has("reaction")
      ? quick
        ? { scaleRuns: 5, killRuns: 3, idleNetworks: 3 }
        : { scaleRuns: 20, killRuns: 3, idleNetworks: 20 }
      : undefined,
  };
}

/** Progress steps the plan makes: one per run, economy case, preview and reaction part. */
export function planSteps(p: Plan): number {
  return p.converge.reduce((a, c) => a + c.runs, 0) + p.economy.length + (p.preview ? 1 : 0) + (p.reaction ? 1 : 0);
}
