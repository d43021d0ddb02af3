// What a bench run records (the JSON under .regnet/bench/): raw runs, from which every figure
// (median, min, max) is derived when the report is made.
import type { Implementation } from "../../provider/spec";
import type { ReadWrite } from "./apimetrics";

export type Strategy = "floor" | "controller" | "pulumi" | "naive";
type Load = [number, number, number];

/** One run from nothing to a synced network; times in ms from the start (create / process start). */
export interface ConvergeRun {
  /** Floor: every node answers RPC. regnet: every pod Ready (the readiness probe is an RPC call). */
  answeringMs?: number;
  /** regnet via the controller: when all pods existed, ran their node container, were Ready (see pod-milestones). */
  podsCreatedMs?: number;
  podsRunningMs?: number;
  podsReadyMs?: number;
  /** Every expected peer connected. */
  wiredMs?: number;
  /** Every node at height ≥ 101 on one tip. */
  syncedMs: number;
  /** From delete/destroy until no object and no node process is left. */
  teardownMs?: number;
  /** Mean RSS of a node process, once synced. */
  nodeRssMiB?: number;
  /** Largest RSS of the controller / the Pulumi dynamic provider during the run. */
  controllerRssMiB?: number;
  providerRssMiB?: number;
  /** RPC writes the strategy sent to nodes (naive and floor count their own; regnet: the engine's counter where it is in reach). */
  rpcWrites?: number;
  load: Load;
}

export interface ConvergeCase {
  strategy: Strategy;
  impl: Implementation;
  nodes: number;
  topology: string;
  runs: ConvergeRun[];
}

/** RPC and API requests of one step; API counts are the API server's own. */
export interface EconomyStep {
  step: string;
  passes: number;
  rpcReads: number;
  rpcWrites: number;
  /** The engine's own count of API writes. */
  engineApiWrites: number;
  api: ReadWrite;
}

export interface EconomyCase {
  impl: Implementation;
  nodes: number;
  added: number;
  topology: string;
  /** Peers per node the topology asks for (the "degree" of O(k·degree)). */
  degree: number;
  steps: EconomyStep[];
}

export interface PreviewResult {
  impl: Implementation;
  change: string;
  /** Wall time of `pulumi preview` with the change, of the same stack unchanged, and of a stack with no resources. */
  changeMs: number[];
  unchangedMs: number[];
  emptyMs: number[];
  /** During the change previews: the network's API requests, and provider calls that opened an engine (each would RPC). */
  api: ReadWrite;
  providerEngineCalls: number;
  steps: string[];
}

export interface ReactionResult {
  /** Spec change (nodes patch) → StatefulSet replicas, as a watch sees it. */
  scaleMs: number[];
  /** A node process killed → the BitcoinNetwork status shows it not ready. */
  killMs: number[];
  idleNetworks: number;
  /** Controller RSS, idle, with `idleNetworks` settled networks. */
  idleRssMiB: number[];
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  quick: boolean;
  machine: { cpus: number; memGiB: number; node: string; sandbox: string };
  loadBefore: Load;
  loadAfter?: Load;
  converge: ConvergeCase[];
  economy: EconomyCase[];
  preview?: PreviewResult;
  reaction?: ReactionResult;
  /** Set by --report a.json,b.json: the runs this one was merged from. */
  merged?: { startedAt: string; durationS?: number; loadBefore: Load; loadAfter?: Load }[];
  /** Parts that failed, with the error: the rest of the report stands. */
  failures: { part: string; error: string }[];
}
