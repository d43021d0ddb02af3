// The BitcoinNetwork spec, defined once. Field shapes, defaults, enums and bounds live here (zod);
// cross-field rules live in ./rules.ts as CEL. Both feed the CRD schema (./crd-schema.ts) and
// validateSpec (./validate.ts), so the API server, Pulumi `check` and the controller refuse the same
// specs with the same messages.
import { z } from "zod";
import { IMPLEMENTATIONS, MAX_EDGES, MAX_NODES, defaultImage } from "./constants";

/** Kubernetes resource.Quantity (the regex the API server's own OpenAPI publishes for quantities) less
 * its minus sign: no size, CPU or memory of a node is negative. */
export const QUANTITY_PATTERN =
  "^(\\+)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
/** DNS-1123 subdomain (Secret and StorageClass names). */
const DNS1123_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** One command-line flag per item, `-name` or `--name[=value]`; a separated value would be a second item. */
const FLAG_PATTERN = "^--?[A-Za-z]";

/** A quantity as YAML users write it: `1Gi`, `500m`, or a bare integer (`cpu: 1`). */
function quantity(field: string, example: string) {
  const error = `must be a Kubernetes quantity such as "${example}": fix ${field}`;
  return z
    .union([z.int({ error }).nonnegative({ error }), z.string({ error }).regex(new RegExp(QUANTITY_PATTERN), { error })], {
      error,
    })
    .describe(`Kubernetes quantity, e.g. ${example}`);
}

const cpuMemory = (field: string) =>
  z
    .strictObject({
      cpu: quantity(`${field}.cpu`, "250m").optional(),
      memory: quantity(`${field}.memory`, "256Mi").optional(),
    })
    .optional();

const ordinal = z
  .int({ error: "each edge is [a, b] with node ordinals 0-99: fix topology.edges" })
  .min(0, { error: "node ordinals start at 0: fix topology.edges" })
  .max(MAX_NODES - 1, { error: `node ordinals are below ${MAX_NODES}: fix topology.edges` });

const topologySchema = z
  .strictObject(
    {
      type: z
        .enum(["mesh", "ring", "random", "edges"], {
          error: "must be one of mesh, ring, random, edges: fix topology.type",
        })
        .default("mesh")
        .describe(
          "mesh: every pair; ring: i to i+1; random: node i links to degree nodes before it (seeded), resize-stable; edges: as listed",
        ),
      degree: z
        .int({ error: "must be an integer ≥ 1: set topology.degree to the peers per node you want" })
        .min(1, { error: "must be at least 1: set topology.degree to the peers per node you want" })
        .max(MAX_NODES - 1, { error: `must be below ${MAX_NODES}: lower topology.degree` })
        .optional()
        .describe(
          "random only: node i links to this many nodes before it, chosen by the seed: every node has at least this many peers, about twice that on average; adding or removing nodes never rewires the others (less than nodes)",
        ),
      seed: z
        .int({ error: "must be an integer: set topology.seed to any whole number" })
        .min(0, { error: "must be ≥ 0: set topology.seed to a non-negative whole number" })
        .max(2 ** 31 - 1, { error: "must fit in 31 bits: lower topology.seed" })
        .optional()
        .describe("random only: the same seed gives the same graph"),
      edges: z
        .array(z.tuple([ordinal, ordinal], { error: "each edge is a pair [a, b] of node ordinals: fix topology.edges" }), {
          error: "must be a list of [a, b] ordinal pairs: fix topology.edges",
        })
        .max(MAX_EDGES, { error: `lists more than ${MAX_EDGES} edges: use topology mesh or random for a network this dense` })
        .optional()
        .describe("edges only: undirected links between node ordinals"),
    },
    { error: "must be an object like {type: mesh}: fix topology" },
  )
  .describe("which node peers with which");

const miningSchema = z.strictObject(
  {
    initialBlocks: z
      .int({ error: "must be a whole number ≥ 0: fix mining.initialBlocks (101 makes the first coinbase spendable)" })
      .min(0, { error: "must be ≥ 0: fix mining.initialBlocks (101 makes the first coinbase spendable)" })
      .max(100_000, { error: "must be at most 100000: lower mining.initialBlocks" })
      .default(101)
      .describe("blocks mined once on node 0 when the network starts"),
    intervalSeconds: z
      .int({ error: "must be a whole number of seconds ≥ 1: fix mining.intervalSeconds or remove it" })
      .min(1, { error: "must be at least 1 second: raise mining.intervalSeconds or remove it to stop interval mining" })
      .max(86_400, { error: "must be at most 86400 (a day): lower mining.intervalSeconds" })
      .optional()
      .describe("when set, node 0 mines one block every intervalSeconds"),
  },
  { error: "must be an object like {initialBlocks: 101}: fix mining" },
);

export const specSchema = z
  .strictObject(
    {
      nodes: z
        .int({ error: `must be a whole number from 0 to ${MAX_NODES}: fix nodes` })
        .min(0, { error: `must be at least 0: set nodes between 0 and ${MAX_NODES}` })
        .max(MAX_NODES, { error: `must be at most ${MAX_NODES}: lower nodes` })
        .default(1)
        .describe("number of nodes (the StatefulSet's replicas)"),
      implementation: z
        .enum(IMPLEMENTATIONS, { error: `must be one of ${IMPLEMENTATIONS.join(", ")}: fix implementation` })
        .default("bitcoin-core"),
      image: z
        .string({ error: "must be an image reference string: fix image or remove it for the default" })
        .min(1, { error: "must not be empty: set an image reference or remove image for the default" })
        .max(512, { error: "is too long: use a shorter image reference" })
        .optional()
        .describe("node image; default bitcoin/bitcoin:30.2 (bitcoin-core) or ghcr.io/regnet-dev/btcd:v0.26.2 (btcd)"),
      chain: z.enum(["regtest"], { error: "regnet runs regtest networks only: set chain to regtest or remove it" }).default("regtest"),
      topology: topologySchema.default({ type: "mesh" }),
      mining: miningSchema.default({ initialBlocks: 101 }),
      extraArgs: z
        .array(
          z
            .string({ error: "must be a list of flag strings: fix extraArgs" })
            .max(512, { error: "an item is longer than 512 characters: shorten it in extraArgs" })
            .regex(new RegExp(FLAG_PATTERN), {
              error: "each item must be one flag starting with - or -- (write -flag=value as one item): fix extraArgs",
            }),
          { error: "must be a list of flag strings: fix extraArgs" },
        )
        .max(64, { error: "has more than 64 flags: trim extraArgs" })
        .default([])
        .describe("extra node flags; flags regnet manages (chain, RPC, ports, data dir, config) are refused"),
      resources: z
        .strictObject(
          { requests: cpuMemory("resources.requests"), limits: cpuMemory("resources.limits") },
          {
            error: "must be an object like {requests: {cpu, memory}, limits: {cpu, memory}}: fix resources",
          },
        )
        .optional()
        .describe("node container resources; small defaults when absent"),
      persistence: z
        .strictObject(
          {
            size: quantity("persistence.size", "1Gi"),
            storageClassName: z
              .string({ error: "must be a StorageClass name: fix persistence.storageClassName" })
              .max(253, { error: "must be at most 253 characters: fix persistence.storageClassName" })
              .regex(new RegExp(DNS1123_SUBDOMAIN_PATTERN), {
                error: "must be a DNS-1123 name (lowercase letters, digits, - and .): fix persistence.storageClassName",
              })
              .optional(),
          },
          { error: "must be an object like {size: 1Gi}: fix persistence, or remove it for emptyDir" },
        )
        .optional()
        .describe("a PersistentVolumeClaim per node; absent = emptyDir (chain lost on pod restart). Immutable."),
      rpc: z
        .strictObject(
          {
            secretName: z
              .string({ error: "must be a Secret name: fix rpc.secretName" })
              .max(253, { error: "must be at most 253 characters: fix rpc.secretName" })
              .regex(new RegExp(DNS1123_SUBDOMAIN_PATTERN), {
                error: "must be a DNS-1123 name (lowercase letters, digits, - and .): fix rpc.secretName",
              })
              .optional()
              .describe("Secret holding the RPC credentials; default <name>-rpc"),
          },
          { error: "must be an object like {secretName: my-rpc}: fix rpc" },
        )
        .optional(),
    },
    { error: "must be an object: give the BitcoinNetwork a spec" },
  )
  .describe("a Bitcoin regtest network");

export type BitcoinNetworkSpecInput = z.input<typeof specSchema>;
/** The spec with every default applied, `image` included. */
export type BitcoinNetworkSpec = Omit<z.output<typeof specSchema>, "image"> & { image: string };
export type Topology = BitcoinNetworkSpec["topology"];

/** Fills the one default that depends on another field (image on implementation). */
export function withImageDefault(spec: z.output<typeof specSchema>): BitcoinNetworkSpec {
  return { ...spec, image: spec.image ?? defaultImage(spec.implementation) };
}
