// The status subresource's schema, generated into the CRD with the spec. The `satisfies` checks keep
// it equal to the engine's NetworkStatus type.
import { z } from "zod";
import type { Condition, NetworkStatus, NodeStatus } from "../engine/types";

const count = z.int().min(0);

const nodeStatusSchema = z.object({
  ordinal: count,
  pod: z.string(),
  ip: z.string().optional(),
  ready: z.boolean(),
  peers: count,
  expectedPeers: count,
  height: count.optional(),
  bestBlockHash: z.string().optional(),
  version: z.string().optional(),
  message: z.string().max(2048).optional().describe("why the node is not Ready, when its pod says (exit code, last log lines)"),
}) satisfies z.ZodType<NodeStatus>;

const conditionSchema = z.object({
  type: z.string().max(316),
  status: z.enum(["True", "False", "Unknown"]),
  observedGeneration: count.optional(),
  lastTransitionTime: z.string().meta({ format: "date-time" }),
  reason: z.string().max(1024),
  message: z.string().max(32768),
}) satisfies z.ZodType<Condition>;

export const statusSchema = z.object({
  nodes: z.array(nodeStatusSchema),
  readyNodes: count.describe("ready nodes (the scale subresource's status replicas)"),
  selector: z.string().describe("label selector of the nodes' pods"),
  wired: z.boolean().describe("every ready node is connected to its expected peers"),
  synced: z.boolean().describe("all ready nodes share one tip"),
  height: count,
  conditions: z.array(conditionSchema),
  rpcSecretName: z.string(),
  observedGeneration: count.optional(),
}) satisfies z.ZodType<NetworkStatus>;
