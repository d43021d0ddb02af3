// The bad-input battery's table (issue 12): each case is one mistake a user can make, the surfaces it
// is tried through, the field every refusal must name and the fix it must say. Run by
// test/integration/bad-input.test.ts against the sandbox's API server and the real Pulumi CLI.

/**
 * - `api`: create the BitcoinNetwork through the API server (the CRD's schema and CEL rules);
 * - `preview`: `pulumi preview` of the stack program with the network in `regnet:networks`;
 * - `up`: `pulumi up`, for what only the cluster can tell (an object already there);
 * - `update`: change a stored BitcoinNetwork through the API server (transition rules);
 * - `unknown`: `pulumi preview` of a program whose network takes `nodes` from another resource, so
 *   that `nodes` is the unknown-value marker at preview while the rest of the spec is known;
 * - `controller`: start the controller (dist/provider/controller/main.js) with `controllerArgs`.
 */
export type Surface = "api" | "preview" | "up" | "update" | "unknown" | "controller";

export interface BadInputCase {
  id: string;
  /** The network's name (default `bad`). */
  name?: string;
  spec?: unknown;
  /** For `update`: the spec the network is stored with before `spec` is applied. */
  live?: unknown;
  /** `regnet:*` stack config other than networks, e.g. a kubeconfigPath (a function of the test's files). */
  config?: (files: { missing: string; deadServer: string }) => Record<string, unknown>;
  /** For `controller`: its command line. */
  controllerArgs?: (files: { missing: string; deadServer: string }) => string[];
  /** An object in the namespace before the case: a Secret that is not the network's. */
  foreignSecret?: string;
  surfaces: Surface[];
  /** The field each refusal names, as that surface spells it (the API server: `spec.x`; Pulumi: the property). */
  field: string;
  /** The fix, per surface: the API server's own words for schema bounds and types, ours elsewhere. */
  fix: Partial<Record<Surface, RegExp>>;
}

const both = (api: RegExp, preview: RegExp) => ({ api, preview });
/** A chain-selecting flag after an allowed one: both surfaces quote the flag (CEL messageExpression). */
function flag(arg: string): BadInputCase {
  const fix = new RegExp(`${arg} is refused: it selects the chain.*remove it`);
  return {
    id: `extraArgs ${arg}`,
    spec: { extraArgs: ["-txindex=1", arg] },
    surfaces: ["api", "preview"],
    field: "spec.extraArgs",
    fix: both(fix, fix),
  };
}

export const BAD_INPUT_CASES: BadInputCase[] = [
  // nodes: out of range, huge, fractional, wrong type
  {
    id: "nodes 101",
    spec: { nodes: 101 },
    surfaces: ["api", "preview"],
    field: "spec.nodes",
    fix: both(/less than or equal to 100/, /at most 100: lower nodes/),
  },
  {
    id: "nodes -1",
    spec: { nodes: -1 },
    surfaces: ["api", "preview"],
    field: "spec.nodes",
    fix: both(/greater than or equal to 0/, /at least 0: set nodes between 0 and 100/),
  },
  {
    id: "nodes 1e12",
    spec: { nodes: 1e12 },
    surfaces: ["api", "preview"],
    field: "spec.nodes",
    fix: both(/less than or equal to 100/, /at most 100: lower nodes/),
  },
  {
    id: "nodes 2.5",
    spec: { nodes: 2.5 },
    surfaces: ["api", "preview"],
    field: "spec.nodes",
    fix: both(/must be of type integer/, /whole number from 0 to 100: fix nodes/),
  },
  {
    id: 'nodes "3"',
    spec: { nodes: "3" },
    surfaces: ["api", "preview"],
    field: "spec.nodes",
    fix: both(/must be of type integer/, /whole number from 0 to 100: fix nodes/),
  },
  {
    id: "Core mesh of 60",
    spec: { nodes: 60 },
    surfaces: ["api", "preview"],
    field: "spec.nodes",
    fix: both(/limited to 50 nodes: use topology random with a degree/, /limited to 50 nodes: use topology random with a degree/),
  },
  // implementation, chain
  {
    id: "implementation bcoin",
    spec: { implementation: "bcoin" },
    surfaces: ["api", "preview"],
    field: "spec.implementation",
    fix: both(/supported values: "bitcoin-core", "btcd"/, /one of bitcoin-core, btcd: fix implementation/),
  },
  {
    id: "implementation true",
    spec: { implementation: true },
    surfaces: ["api", "preview"],
    field: "spec.implementation",
    fix: both(/must be of type string/, /one of bitcoin-core, btcd: fix implementation/),
  },
  {
    id: "chain main",
    spec: { chain: "main" },
    surfaces: ["api", "preview"],
    field: "spec.chain",
    fix: both(/supported values: "regtest"/, /set chain to regtest or remove it/),
  },
  {
    id: "chain Regtest",
    spec: { chain: "Regtest" },
    surfaces: ["api", "preview"],
    field: "spec.chain",
    fix: both(/supported values: "regtest"/, /set chain to regtest or remove it/),
  },
  // non-regtest chains by any spelling in extraArgs
  flag("-chain=main"),
  flag("--testnet4"),
  flag("-regtest=0"),
  flag("-signet=1"),
  flag("-testnet"),
  flag("--simnet"),
  flag("-nochain"),
  {
    id: "btcd extraArgs -blocksonly",
    spec: { implementation: "btcd", extraArgs: ["--txindex", "-blocksonly"] },
    surfaces: ["api", "preview"],
    field: "spec.extraArgs",
    fix: both(
      /-blocksonly is refused: btcd reads one dash as short options.*write it with two dashes/,
      /-blocksonly is refused: btcd reads one dash as short options.*write it with two dashes/,
    ),
  },
  {
    id: "extraArgs a string",
    spec: { extraArgs: "-txindex" },
    surfaces: ["api", "preview"],
    field: "spec.extraArgs",
    fix: both(/must be of type array/, /list of flag strings: fix extraArgs/),
  },
  // topology
  {
    id: "topology star",
    spec: { topology: { type: "star" } },
    surfaces: ["api", "preview"],
    field: "spec.topology.type",
    fix: both(/supported values: "mesh", "ring", "random", "edges"/, /one of mesh, ring, random, edges: fix topology.type/),
  },
  {
    id: "random degree 0",
    spec: { nodes: 4, topology: { type: "random", degree: 0 } },
    surfaces: ["api", "preview"],
    field: "spec.topology.degree",
    fix: both(/greater than or equal to 1/, /at least 1: set topology.degree/),
  },
  {
    id: "random degree ≥ nodes",
    spec: { nodes: 3, topology: { type: "random", degree: 3 } },
    surfaces: ["api", "preview"],
    field: "spec.topology.degree",
    fix: both(/lower topology.degree or add nodes/, /lower topology.degree or add nodes/),
  },
  {
    id: "self edge",
    spec: {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [2, 2],
        ],
      },
    },
    surfaces: ["api", "preview"],
    field: "spec.topology.edges",
    fix: both(/must not link a node to itself: remove the \[n, n\] edge/, /must not link a node to itself: remove the \[n, n\] edge/),
  },
  {
    id: "dangling edge",
    spec: {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [1, 7],
        ],
      },
    },
    surfaces: ["api", "preview"],
    field: "spec.topology.edges",
    fix: both(/not below nodes: drop that edge or add nodes/, /not below nodes: drop that edge or add nodes/),
  },
  {
    id: "duplicate edge",
    spec: {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [1, 2],
          [0, 1],
        ],
      },
    },
    surfaces: ["api", "preview"],
    field: "spec.topology.edges",
    fix: both(/lists a link twice.*remove the duplicate/, /lists a link twice.*remove the duplicate/),
  },
  {
    id: "reversed duplicate edge",
    spec: {
      nodes: 3,
      topology: {
        type: "edges",
        edges: [
          [0, 1],
          [1, 2],
          [1, 0],
        ],
      },
    },
    surfaces: ["api", "preview"],
    field: "spec.topology.edges",
    fix: both(/lists a link twice.*remove the duplicate/, /lists a link twice.*remove the duplicate/),
  },
  // mining
  {
    id: "initialBlocks -5",
    spec: { mining: { initialBlocks: -5 } },
    surfaces: ["api", "preview"],
    field: "spec.mining.initialBlocks",
    fix: both(/greater than or equal to 0/, /≥ 0: fix mining.initialBlocks/),
  },
  {
    id: "intervalSeconds 0.5",
    spec: { mining: { intervalSeconds: 0.5 } },
    surfaces: ["api", "preview"],
    field: "spec.mining.intervalSeconds",
    fix: both(/must be of type integer/, /whole number of seconds ≥ 1: fix mining.intervalSeconds/),
  },
  // image references
  {
    id: "image with a space",
    spec: { image: "bitcoin/bitcoin 30.2" },
    surfaces: ["api", "preview"],
    field: "spec.image",
    fix: both(/image reference such as bitcoin\/bitcoin:30.2/, /image reference such as bitcoin\/bitcoin:30.2/),
  },
  {
    id: "image uppercase",
    spec: { image: "Bitcoin/Bitcoin:30.2" },
    surfaces: ["api", "preview"],
    field: "spec.image",
    fix: both(/image reference such as bitcoin\/bitcoin:30.2/, /image reference such as bitcoin\/bitcoin:30.2/),
  },
  {
    id: "image empty tag",
    spec: { image: "bitcoin/bitcoin:" },
    surfaces: ["api", "preview"],
    field: "spec.image",
    fix: both(/image reference such as bitcoin\/bitcoin:30.2/, /image reference such as bitcoin\/bitcoin:30.2/),
  },
  {
    id: "image short digest",
    spec: { image: "bitcoin/bitcoin@sha256:abc" },
    surfaces: ["api", "preview"],
    field: "spec.image",
    fix: both(/image reference such as bitcoin\/bitcoin:30.2/, /image reference such as bitcoin\/bitcoin:30.2/),
  },
  // quantities
  {
    id: "cpu -1",
    spec: { resources: { requests: { cpu: -1 } } },
    surfaces: ["api", "preview"],
    field: "spec.resources.requests.cpu",
    fix: both(/greater than or equal to 0/, /quantity such as "250m": fix resources.requests.cpu/),
  },
  {
    id: 'memory "-256Mi"',
    spec: { resources: { limits: { memory: "-256Mi" } } },
    surfaces: ["api", "preview"],
    field: "spec.resources.limits.memory",
    fix: both(/should match/, /quantity such as "256Mi": fix resources.limits.memory/),
  },
  {
    id: 'memory "1 GB"',
    spec: { resources: { limits: { memory: "1 GB" } } },
    surfaces: ["api", "preview"],
    field: "spec.resources.limits.memory",
    fix: both(/should match/, /quantity such as "256Mi": fix resources.limits.memory/),
  },
  {
    id: 'size "10gb"',
    spec: { persistence: { size: "10gb" } },
    surfaces: ["api", "preview"],
    field: "spec.persistence.size",
    fix: both(/should match/, /quantity such as "1Gi": fix persistence.size/),
  },
  // names too long for the pod hostnames (and the revision-hash label) they become, or not a Service name
  {
    id: "name of 53 characters",
    name: "n".repeat(53),
    spec: {},
    surfaces: ["api", "preview"],
    field: "name",
    fix: both(/at most 52 characters.*shorten the name/, /at most 52 characters.*shorten the name/),
  },
  {
    id: "name starting with a digit",
    name: "1net",
    spec: {},
    surfaces: ["api", "preview"],
    field: "name",
    fix: both(/start with a lowercase letter/, /start with a lowercase letter/),
  },
  {
    id: "name with a dot",
    name: "net.a",
    spec: {},
    surfaces: ["api", "preview"],
    field: "name",
    fix: both(/lowercase letters, digits and '-'/, /lowercase letters, digits and '-'/),
  },
  // unknown fields
  {
    id: "unknown field node",
    spec: { node: 3 },
    surfaces: ["api", "preview"],
    field: "spec.node",
    fix: both(/unknown field "spec.node"/, /remove it or fix its spelling/),
  },
  // the cluster already holds something of the network's name
  {
    id: "Secret <name>-rpc not the network's",
    name: "taken",
    spec: { nodes: 1 },
    foreignSecret: "taken-rpc",
    surfaces: ["up"],
    field: "taken-rpc",
    fix: { up: /is not network "taken"'s own.*Delete or rename it, or give the network another name/ },
  },
  // a live network's persistence
  {
    id: "persistence changed when live",
    name: "live",
    live: { nodes: 0, persistence: { size: "1Gi" } },
    spec: { nodes: 0, persistence: { size: "2Gi" } },
    surfaces: ["update"],
    field: "spec.persistence",
    fix: { update: /persistence is immutable.*keep the old value, or delete and recreate the network/ },
  },
  {
    id: "persistence removed when live",
    name: "live2",
    live: { nodes: 0, persistence: { size: "1Gi" } },
    spec: { nodes: 0 },
    surfaces: ["update"],
    field: "spec.persistence",
    fix: { update: /persistence is immutable.*keep the old value, or delete and recreate the network/ },
  },
  // known mistakes next to a value unknown at preview
  {
    id: "chain main, nodes unknown",
    spec: { chain: "main" },
    surfaces: ["unknown"],
    field: "spec.chain",
    fix: { unknown: /set chain to regtest or remove it/ },
  },
  {
    id: "extraArgs -testnet, nodes unknown",
    spec: { extraArgs: ["-testnet"] },
    surfaces: ["unknown"],
    field: "spec.extraArgs",
    fix: { unknown: /-testnet is refused: it selects the chain.*remove it/ },
  },
  // stack config: where the cluster is
  {
    id: "kubeconfigPath to no file",
    spec: { nodes: 1 },
    config: (f) => ({ kubeconfigPath: f.missing }),
    surfaces: ["preview"],
    field: "kubeconfigPath",
    fix: { preview: /no file at .*: fix regnet:kubeconfigPath/ },
  },
  {
    id: "kubeconfig of a dead server",
    spec: { nodes: 1 },
    config: (f) => ({ kubeconfigPath: f.deadServer }),
    surfaces: ["up"],
    field: "kubeconfig",
    fix: { up: /cannot reach the Kubernetes API server https:\/\/127.0.0.1:\d+ \(ECONNREFUSED\): fix the kubeconfig/ },
  },
  // the controller's command line
  {
    id: "controller --workers 0",
    controllerArgs: () => ["--workers", "0"],
    surfaces: ["controller"],
    field: "--workers",
    fix: { controller: /must be a number ≥ 1/ },
  },
  {
    id: "controller --rpc-access magic",
    controllerArgs: () => ["--rpc-access", "magic"],
    surfaces: ["controller"],
    field: "--rpc-access",
    fix: { controller: /must be auto, direct or port-forward/ },
  },
  {
    id: "controller --kubeconfig to no file",
    controllerArgs: (f) => ["--kubeconfig", f.missing],
    surfaces: ["controller"],
    field: "--kubeconfig",
    fix: { controller: /no file at .*: pass the path of a kubeconfig file/ },
  },
];
