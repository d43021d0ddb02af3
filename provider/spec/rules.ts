// Cross-field rules a JSON schema cannot express, written once as CEL. They go verbatim into the
// CRD's `x-kubernetes-validations` on `spec` (so `self` is the spec), and validateSpec evaluates the
// same strings with @marcbachmann/cel-js. Keep to the CEL subset both implement (has, all, exists,
// filter, exists_one, matches with RE2-compatible patterns, string(int)).
import { MAX_NETWORK_NAME_LENGTH } from "./constants";

/** An OCI image reference (the grammar of distribution/reference): `[host[:port]/]path[:tag][@digest]`,
 * as the body of a CEL string literal (the IPv6 host's brackets are `\\[`, a regex `\[`); the rest
 * avoids backslashes, so it reads the same in RE2 (API server) and JS (cel-js). */
const IMAGE_REFERENCE_PATTERN =
  "^((([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])([.]([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\\\[[a-fA-F0-9:]+\\\\])(:[0-9]+)?/)?" +
  "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*" +
  "(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$";

export interface CelRule {
  rule: string;
  /** Static message; every rule has one (the API server falls back to it if messageExpression fails). */
  message: string;
  /** A CEL expression yielding the message, for messages that quote values. The API server bounds its
   * estimated cost: only quote strings of bounded length (string(int) counts as unbounded). */
  messageExpression?: string;
  /** JSON path relative to spec, e.g. `.topology.degree`. */
  fieldPath: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/** Flags regnet sets or depends on, grouped by why passing them would break a network. Matched on the
 * flag name after one or two dashes, with or without `=value` and Bitcoin Core's `-no` negation. */
const FORBIDDEN_FLAGS: { names: string[]; why: string }[] = [
  {
    names: ["testnet", "testnet3", "testnet4", "signet", "signetchallenge", "signetseednode", "chain", "mainnet", "simnet", "regtest"],
    why: "selects the chain, and regnet always runs regtest (it passes the regtest flag itself)",
  },
  {
    names: [
      "rpcbind",
      "rpcallowip",
      "rpcport",
      "rpcuser",
      "rpcpassword",
      "rpcpass",
      "rpcauth",
      "rpccookiefile",
      "rpclisten",
      "notls",
      "rpccert",
      "rpckey",
      "rpclimituser",
      "rpclimitpass",
      "norpc",
      "server",
      "u",
      "P",
    ],
    why: "changes RPC binding, ports or credentials, which regnet manages so that it can wire and probe the nodes",
  },
  {
    names: ["datadir", "b", "appdata", "conf", "configfile", "C", "includeconf", "port", "listen", "bind", "daemon", "daemonwait"],
    why: "changes the data directory, config file, P2P listener or foreground process that the pods rely on",
  },
];

function forbiddenFlagPattern(names: string[]): string {
  return `^--?(no)?(${names.join("|")})(=.*)?$`;
}

function forbiddenFlagRule({ names, why }: { names: string[]; why: string }): CelRule {
  const re = forbiddenFlagPattern(names);
  return {
    rule: `!has(self.extraArgs) || self.extraArgs.all(a, !a.matches('${re}'))`,
    message: `extraArgs must not contain ${names.map((n) => `-${n}`).join(", ")}: that flag ${why}; remove it`,
    messageExpression: `'extraArgs: ' + self.extraArgs.filter(a, a.matches('${re}'))[0] + ' is refused: it ${why}; remove it'`,
    fieldPath: ".extraArgs",
    reason: "FieldValueForbidden",
  };
}

export const specRules: CelRule[] = [
  {
    rule: "!has(self.topology.degree) || self.topology.type == 'random'",
    message: "topology.degree applies to topology.type random only: remove degree or set type: random",
    fieldPath: ".topology.degree",
    reason: "FieldValueForbidden",
  },
  {
    rule: "!has(self.topology.seed) || self.topology.type == 'random'",
    message: "topology.seed applies to topology.type random only: remove seed or set type: random",
    fieldPath: ".topology.seed",
    reason: "FieldValueForbidden",
  },
  {
    rule: "self.topology.type != 'random' || has(self.topology.degree)",
    message: "topology.type random needs topology.degree (peers per node): add degree, e.g. 2",
    fieldPath: ".topology.degree",
    reason: "FieldValueRequired",
  },
  {
    // nodes 0 is a stopped network: allow it so that a random network can be scaled to zero.
    rule: "!has(self.topology.degree) || self.nodes == 0 || self.topology.degree < self.nodes",
    message: "topology.degree must be less than nodes: lower topology.degree or add nodes",
    fieldPath: ".topology.degree",
  },
  {
    rule: "!has(self.topology.edges) || self.topology.type == 'edges'",
    message: "topology.edges applies to topology.type edges only: remove edges or set type: edges",
    fieldPath: ".topology.edges",
    reason: "FieldValueForbidden",
  },
  {
    rule: "self.topology.type != 'edges' || has(self.topology.edges)",
    message: "topology.type edges needs topology.edges, a list of [a, b] ordinal pairs: add edges",
    fieldPath: ".topology.edges",
    reason: "FieldValueRequired",
  },
  {
    rule: "!has(self.topology.edges) || self.topology.edges.all(e, e[0] != e[1])",
    message: "topology.edges must not link a node to itself: remove the [n, n] edge",
    fieldPath: ".topology.edges",
  },
  {
    // Links are undirected: [1, 0] is [0, 1] again. Quadratic, so topology.edges is bounded (cost).
    rule: "!has(self.topology.edges) || self.topology.edges.all(e, self.topology.edges.exists_one(f, (f[0] == e[0] && f[1] == e[1]) || (f[0] == e[1] && f[1] == e[0])))",
    message: "topology.edges lists a link twice ([a, b] and [a, b], or [b, a]; links go both ways): remove the duplicate",
    fieldPath: ".topology.edges",
  },
  {
    rule: "!has(self.topology.edges) || self.topology.edges.all(e, e[0] < self.nodes && e[1] < self.nodes)",
    message: "topology.edges names a node ordinal that is not below nodes: drop that edge or add nodes",
    fieldPath: ".topology.edges",
  },
  {
    // A mesh is n·(n-1)/2 connections, every one dialled and kept. 50 Bitcoin Core nodes in a mesh
    // (1225 connections) is the largest verified to wire and sync here; Core accepts about 114
    // inbound connections per node by default, so the limit is what was verified, not a wall.
    rule: "self.implementation != 'bitcoin-core' || self.topology.type != 'mesh' || self.nodes <= 50",
    message:
      "topology mesh with Bitcoin Core is limited to 50 nodes: use topology random with a degree (e.g. {type: random, degree: 4}), or fewer nodes",
    fieldPath: ".nodes",
  },
  {
    rule: `!has(self.image) || self.image.matches('${IMAGE_REFERENCE_PATTERN}')`,
    message:
      "image must be an image reference such as bitcoin/bitcoin:30.2 or registry.example:5000/team/bitcoind@sha256:<64 hex> (lowercase repository path, optional :tag and @digest): fix image, or remove it for the default",
    fieldPath: ".image",
  },
  ...FORBIDDEN_FLAGS.map(forbiddenFlagRule),
  {
    // btcd (go-flags) reads one dash as short options with an attached value: -blocksonly is
    // `-b locksonly`, a data directory, which the forbidden-flag rules above cannot see.
    rule: "self.implementation != 'btcd' || !has(self.extraArgs) || self.extraArgs.all(a, a.startsWith('--'))",
    message:
      "extraArgs for btcd must be long flags, --name or --name=value: btcd reads one dash as short options (-blocksonly is -b locksonly, a data directory); write them with two dashes",
    messageExpression:
      "'extraArgs: ' + self.extraArgs.filter(a, !a.startsWith('--'))[0] + ' is refused: btcd reads one dash as short options (-blocksonly is -b locksonly, a data directory); write it with two dashes'",
    fieldPath: ".extraArgs",
    reason: "FieldValueForbidden",
  },
];

/** Rules on the BitcoinNetwork object itself (CEL sees only metadata.name there): its name becomes
 * the Service's name (a DNS-1035 label), the StatefulSet's, and the pods' `<name>-<ordinal>`
 * hostnames, whose controller-revision-hash label `<name>-<hash of up to 10>` must fit in 63. */
export const nameRules: CelRule[] = [
  {
    rule: `self.metadata.name.size() <= ${MAX_NETWORK_NAME_LENGTH}`,
    message: `metadata.name must be at most ${MAX_NETWORK_NAME_LENGTH} characters, so that pod names (<name>-<ordinal>) and their controller-revision-hash label (<name>-<hash>) fit in 63: shorten the name`,
    fieldPath: ".metadata.name",
    reason: "FieldValueInvalid",
  },
  {
    rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message:
      "metadata.name must start with a lowercase letter and hold only lowercase letters, digits and '-', ending with a letter or digit (it names the network's Service): rename the network",
    fieldPath: ".metadata.name",
    reason: "FieldValueInvalid",
  },
];

/** Rules that compare with the stored object (`oldSelf`): the API server runs them on update; validateSpec
 * runs them when given the previous spec. */
export const transitionRules: CelRule[] = [
  {
    rule: "has(self.persistence) == has(oldSelf.persistence) && (!has(self.persistence) || self.persistence == oldSelf.persistence)",
    message:
      "persistence is immutable (a StatefulSet's volume claims cannot change): keep the old value, or delete and recreate the network",
    fieldPath: ".persistence",
    reason: "FieldValueForbidden",
  },
];
